#include <gtest/gtest.h>

#include <torch/torch.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "ranks.h"
#include "support/test_util.h"
#include "train/distributed/communicator.h"
#include "train/distributed/replica_check.h"

namespace segmaker::train {
namespace {

TEST(Communicator, SingleProcessCollectivesReturnTheirInput) {
  auto comm = single_process_communicator();
  EXPECT_EQ(comm->world_size(), 1);
  EXPECT_TRUE(comm->is_main());
  EXPECT_FALSE(comm->distributed());
  torch::Tensor t = torch::tensor({1.0f, 2.0f});
  comm->all_reduce_sum(t);
  comm->broadcast(t, 0);
  comm->barrier();
  EXPECT_TRUE(torch::equal(t, torch::tensor({1.0f, 2.0f})));
  EXPECT_EQ(connect(DistributedConfig{}, "cpu")->world_size(), 1);
}

TEST(Communicator, TwoRanksSumMaxBroadcastAndBarrier) {
  test::run_ranks(2, [](int rank, std::shared_ptr<Communicator> comm) {
    EXPECT_EQ(comm->rank(), rank);
    EXPECT_EQ(comm->world_size(), 2);
    EXPECT_EQ(comm->backend(), "gloo");
    torch::Tensor sum = torch::full({3}, static_cast<float>(rank + 1));
    comm->all_reduce_sum(sum);
    EXPECT_TRUE(torch::equal(sum, torch::full({3}, 3.0f)));
    torch::Tensor mx = torch::tensor({static_cast<std::int64_t>(rank * 10), static_cast<std::int64_t>(5 - rank)});
    comm->all_reduce_max(mx);
    EXPECT_TRUE(torch::equal(mx, torch::tensor({10L, 5L})));
    torch::Tensor b = torch::full({2, 2}, static_cast<double>(rank + 7));
    comm->broadcast(b, 1);
    EXPECT_TRUE(torch::equal(b, torch::full({2, 2}, 8.0, torch::kFloat64)));
    comm->barrier();

    std::vector<std::int64_t> counts{rank, 100};
    all_reduce_sum(*comm, counts);
    EXPECT_EQ(counts, (std::vector<std::int64_t>{1, 200}));
    std::vector<double> values{0.25 * rank, 1.5};
    all_reduce_sum(*comm, values);
    EXPECT_EQ(values, (std::vector<double>{0.25, 3.0}));
  });
}

TEST(Communicator, BroadcastFromMainCopiesRankZerosTensorsOfEveryType) {
  test::run_ranks(2, [](int rank, std::shared_ptr<Communicator> comm) {
    std::vector<torch::Tensor> tensors{torch::full({2, 3}, static_cast<float>(rank)), torch::full({4}, static_cast<std::int64_t>(rank + 1)),
                                       torch::full({1}, static_cast<float>(rank * 2))};
    broadcast_from_main(*comm, tensors);
    EXPECT_TRUE(torch::equal(tensors[0], torch::zeros({2, 3})));
    EXPECT_TRUE(torch::equal(tensors[1], torch::ones({4}, torch::kInt64)));
    EXPECT_TRUE(torch::equal(tensors[2], torch::zeros({1})));
  });
}

TEST(Communicator, AverageOverRanksGivesEveryRankTheMean) {
  test::run_ranks(2, [](int rank, std::shared_ptr<Communicator> comm) {
    std::vector<torch::Tensor> tensors{torch::full({3}, static_cast<float>(rank * 2)), torch::full({2, 2}, 1.0 + rank, torch::kFloat64)};
    average_over_ranks(*comm, tensors);
    EXPECT_TRUE(torch::equal(tensors[0], torch::ones({3})));
    EXPECT_TRUE(torch::equal(tensors[1], torch::full({2, 2}, 1.5, torch::kFloat64)));
  });
}

TEST(Communicator, ReplicaCheckPassesForEqualAndFailsForDivergedParameters) {
  test::run_ranks(2, [](int rank, std::shared_ptr<Communicator> comm) {
    const std::string same = check_replicas_identical(*comm, {torch::arange(10, torch::kFloat32)});
    EXPECT_EQ(same, tensors_sha256({torch::arange(10, torch::kFloat32)}));
    EXPECT_EQ(same.size(), 64u);
    torch::Tensor diverged = torch::arange(10, torch::kFloat32);
    if (rank == 1) diverged[3] = 3.5f;
    try {
      check_replicas_identical(*comm, {diverged});
      ADD_FAILURE() << "diverged parameters were not detected";
    } catch (const DistributedError& e) {
      EXPECT_NE(std::string(e.what()).find("diverged"), std::string::npos) << e.what();
    }
  });
}

std::string failure_of(const std::function<void()>& f) { return test::message_of<DistributedError>(f); }

TEST(Communicator, NoRendezvousWithinTheTimeoutSaysWhatToCheck) {
  DistributedConfig c = test::loopback_config(2, std::chrono::milliseconds(1500));
  c.rank = 1;  // rank 0 (the store) never starts
  const auto start = std::chrono::steady_clock::now();
  const std::string message = failure_of([&] { connect(c, "cpu"); });
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
  EXPECT_NE(message.find("rank 1 could not join the rendezvous at 127.0.0.1:" + std::to_string(c.master_port)), std::string::npos)
      << message;
  EXPECT_NE(message.find("MASTER_ADDR"), std::string::npos) << message;
}

TEST(Communicator, AFailingRankIsNamedWithItsReason) {
  std::string message;
  test::run_ranks(2, [&](int rank, std::shared_ptr<Communicator> comm) {
    comm->barrier();  // both ranks are set up before rank 1 leaves (else rank 0 may still be connecting)
    if (rank == 1) {
      comm->report_failure("corrupt image 'x.jpg'");
      return;  // leaves the group: its connections close
    }
    message = failure_of([&] {
      torch::Tensor t = torch::ones({4});
      comm->all_reduce_sum(t);
    });
  });
  EXPECT_NE(message.find("distributed training failed on rank 0 of 2"), std::string::npos) << message;
  EXPECT_NE(message.find("rank 1 failed: corrupt image 'x.jpg'"), std::string::npos) << message;
  EXPECT_NE(message.find("--resume"), std::string::npos) << message;
}

TEST(Communicator, ARankThatVanishesIsNamedAsNotResponding) {
  std::string message;
  test::run_ranks(2, [&](int rank, std::shared_ptr<Communicator> comm) {
    comm->barrier();  // both ranks are set up before rank 1 leaves
    if (rank == 1) return;  // gone without a word
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    message = failure_of([&] {
      torch::Tensor t = torch::ones({4});
      comm->all_reduce_sum(t);
    });
  });
  EXPECT_NE(message.find("rank(s) 1 stopped responding"), std::string::npos) << message;
}

TEST(Communicator, AHungRankFailsTheCollectiveWithinTheTimeout) {
  std::string message;
  std::atomic<bool> done{false};
  const auto start = std::chrono::steady_clock::now();
  test::run_ranks(
      2,
      [&](int rank, std::shared_ptr<Communicator> comm) {
        if (rank == 1) {  // alive (heartbeat goes on) but never joins the collective
          while (!done) std::this_thread::sleep_for(std::chrono::milliseconds(20));
          return;
        }
        message = failure_of([&] {
          torch::Tensor t = torch::ones({4});
          comm->all_reduce_sum(t);
        });
        done = true;
      },
      std::chrono::milliseconds(2000));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(25));
  EXPECT_NE(message.find("every rank is still alive"), std::string::npos) << message;
}

}  // namespace
}  // namespace segmaker::train
