#include <gtest/gtest.h>

#include <map>

#include "io/error.h"
#include "support/test_util.h"
#include "train/distributed/distributed_config.h"
#include "train/distributed/launcher.h"

namespace segmaker::train {
namespace {

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

std::string error_of(const std::function<void()>& f) { return test::message_of<UserError>(f); }

TEST(DistributedConfig, ReadsTheTorchrunVariables) {
  DistributedConfig c = distributed_config_from_env(
      env_of({{"WORLD_SIZE", "4"}, {"RANK", "2"}, {"LOCAL_RANK", "0"}, {"MASTER_ADDR", "node0"}, {"MASTER_PORT", "1234"}}));
  EXPECT_EQ(c.world_size, 4);
  EXPECT_EQ(c.rank, 2);
  EXPECT_EQ(c.local_rank, 0);
  EXPECT_EQ(c.master_addr, "node0");
  EXPECT_EQ(c.master_port, 1234);
}

TEST(DistributedConfig, DefaultsAddressPortAndLocalRank) {
  DistributedConfig c = distributed_config_from_env(env_of({{"WORLD_SIZE", "2"}, {"RANK", "1"}}));
  EXPECT_EQ(c.master_addr, "127.0.0.1");
  EXPECT_EQ(c.master_port, 29500);
  EXPECT_EQ(c.local_rank, 1);
}

TEST(DistributedConfig, MissingOrMalformedVariablesNameTheVariable) {
  EXPECT_NE(error_of([] { distributed_config_from_env(env_of({{"RANK", "0"}})); }).find("WORLD_SIZE"), std::string::npos);
  EXPECT_NE(error_of([] { distributed_config_from_env(env_of({{"WORLD_SIZE", "2"}})); }).find("RANK"), std::string::npos);
  EXPECT_NE(error_of([] { distributed_config_from_env(env_of({{"WORLD_SIZE", "2"}, {"RANK", "2"}})); }).find("RANK = '2'"),
            std::string::npos);
  EXPECT_NE(error_of([] { distributed_config_from_env(env_of({{"WORLD_SIZE", "two"}, {"RANK", "0"}})); }).find("WORLD_SIZE"),
            std::string::npos);
  EXPECT_NE(
      error_of([] { distributed_config_from_env(env_of({{"WORLD_SIZE", "2"}, {"RANK", "0"}, {"MASTER_PORT", "70000"}})); })
          .find("MASTER_PORT"),
      std::string::npos);
  EXPECT_NE(error_of([] { distributed_config_from_env(env_of({{"WORLD_SIZE", "2"}, {"RANK", "0"}, {"MASTER_ADDR", ""}})); })
                .find("MASTER_ADDR"),
            std::string::npos);
}

TEST(DistributedConfig, SageMakerHostsGiveOneRankPerHostInNameOrder) {
  EXPECT_FALSE(distributed_config_from_hosts("algo-1", {"algo-1"}, 29500).has_value());
  auto c = distributed_config_from_hosts("algo-2", {"algo-3", "algo-2", "algo-1"}, 29600);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->world_size, 3);
  EXPECT_EQ(c->rank, 1);
  EXPECT_EQ(c->master_addr, "algo-1");
  EXPECT_EQ(c->master_port, 29600);
  EXPECT_NE(error_of([] { distributed_config_from_hosts("algo-9", {"algo-1", "algo-2"}, 29500); }).find("algo-9"), std::string::npos);
}

TEST(DistributedConfig, BackendIsChosenAndCheckedForTheDevice) {
  EXPECT_EQ(resolve_backend("auto", "cpu", false), "gloo");
  EXPECT_EQ(resolve_backend("auto", "cuda:1", false), "gloo");
  EXPECT_EQ(resolve_backend("auto", "cuda", true), "nccl");
  EXPECT_EQ(resolve_backend("gloo", "cuda", true), "gloo");
  EXPECT_NE(error_of([] { resolve_backend("nccl", "cuda", false); }).find("--backend gloo"), std::string::npos);
  EXPECT_NE(error_of([] { resolve_backend("nccl", "cpu", true); }).find("CUDA"), std::string::npos);
  EXPECT_NE(error_of([] { resolve_backend("mpi", "cpu", true); }).find("unknown"), std::string::npos);
  EXPECT_THROW(timeout_from_seconds(0), UserError);
  EXPECT_EQ(timeout_from_seconds(1.5).count(), 1500);
}

TEST(Launcher, RanksGetTrainDistributedAndTheirEnvironment) {
  LaunchOptions o;
  o.nproc = 2;
  o.nnodes = 3;
  o.node_rank = 1;
  o.master_addr = "node0";
  o.threads_per_rank = 3;
  o.command = {"train", "--data", "d"};
  EXPECT_EQ(rank_arguments(o), (std::vector<std::string>{"--threads", "3", "train", "--distributed", "--data", "d"}));
  o.command = {"train", "--distributed"};
  EXPECT_EQ(rank_arguments(o), (std::vector<std::string>{"--threads", "3", "train", "--distributed"}));
  std::map<std::string, std::string> env;
  for (const auto& [k, v] : rank_environment(o, 1, 4567)) env[k] = v;
  EXPECT_EQ(env["RANK"], "3");
  EXPECT_EQ(env["LOCAL_RANK"], "1");
  EXPECT_EQ(env["WORLD_SIZE"], "6");
  EXPECT_EQ(env["LOCAL_WORLD_SIZE"], "2");
  EXPECT_EQ(env["MASTER_ADDR"], "node0");
  EXPECT_EQ(env["MASTER_PORT"], "4567");
  EXPECT_EQ(env["OMP_NUM_THREADS"], "3");
}

TEST(Launcher, RejectsInvalidJobsBeforeStartingAnything) {
  LaunchOptions o;
  o.executable = "/bin/false";
  o.command = {"serve"};
  EXPECT_NE(error_of([&] { launch(o, {}); }).find("launch runs a training job"), std::string::npos);
  o.command = {"train"};
  o.nproc = 0;
  EXPECT_NE(error_of([&] { launch(o, {}); }).find("--nproc"), std::string::npos);
  o.nproc = 1;
  o.nnodes = 2;
  o.node_rank = 2;
  EXPECT_NE(error_of([&] { launch(o, {}); }).find("--node-rank"), std::string::npos);
  o.node_rank = 1;
  o.master_port = 0;
  EXPECT_NE(error_of([&] { launch(o, {}); }).find("--master-port"), std::string::npos);
}

TEST(Launcher, ReportsTheFirstFailingRanksExitCode) {
  LaunchOptions o;
  o.nproc = 2;
  o.executable = "/bin/sh";  // the ranks run: sh --threads N train --distributed -c ... (sh fails: bad option)
  o.command = {"train"};
  o.grace = std::chrono::milliseconds(200);
  EXPECT_NE(launch(o, {}), 0);
  o.executable = "/bin/true";
  EXPECT_EQ(launch(o, {}), 0);
}

}  // namespace
}  // namespace segmaker::train
