#include "train/distributed/communicator.h"

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>
#include <type_traits>

#include <torch/torch.h>
#include <torch/csrc/distributed/c10d/Backend.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <spdlog/spdlog.h>

#include "io/error.h"

namespace segmaker::train {

bool nccl_available() {
#ifdef USE_C10D_NCCL
  return true;
#else
  return false;
#endif
}

namespace {

constexpr std::chrono::milliseconds kHeartbeatInterval{500};

// LibTorch 1.13's process groups derive from c10d::ProcessGroup, 2.x's from c10d::Backend; both give
// allreduce / broadcast / barrier with the same signatures.
using GroupBase = std::conditional_t<std::is_base_of_v<c10d::Backend, c10d::ProcessGroupGloo>, c10d::Backend, c10d::ProcessGroup>;

// ---------------------------------------------------------------------------------------------
// A world of one.

class Done : public PendingCollective {
 public:
  void wait() override {}
};

class SingleProcess : public Communicator {
 public:
  int rank() const override { return 0; }
  int world_size() const override { return 1; }
  std::string backend() const override { return "none"; }
  std::unique_ptr<PendingCollective> all_reduce_sum_async(at::Tensor) override { return std::make_unique<Done>(); }
  void all_reduce_max(at::Tensor) override {}
  void broadcast(at::Tensor, int) override {}
  void barrier() override {}
  void report_failure(const std::string&) noexcept override {}
};

// ---------------------------------------------------------------------------------------------
// Liveness: every rank bumps a counter in the store twice a second from its own thread. When a
// collective fails, the ranks whose counter has stopped are the ones that died or froze.

class Heartbeat {
 public:
  Heartbeat(c10::intrusive_ptr<c10d::Store> store, int rank) : store_(std::move(store)), rank_(rank) {
    thread_ = std::thread([this] { run(); });
  }
  ~Heartbeat() { stop(); }
  void stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void run() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stopping_) {
      lock.unlock();
      try {
        store_->add(key(rank_), 1);
      } catch (const std::exception&) {
        // The store (rank 0) is gone; the next collective reports it.
      }
      lock.lock();
      cv_.wait_for(lock, kHeartbeatInterval, [this] { return stopping_; });
    }
  }

 public:
  static std::string key(int rank) { return "segmaker/heartbeat/" + std::to_string(rank); }

 private:
  c10::intrusive_ptr<c10d::Store> store_;
  int rank_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

std::string failure_key(int rank) { return "segmaker/failure/" + std::to_string(rank); }

// ---------------------------------------------------------------------------------------------
// c10d process group.

class ProcessGroupCommunicator;

class PendingWork : public PendingCollective {
 public:
  PendingWork(c10::intrusive_ptr<c10d::Work> work, const ProcessGroupCommunicator* owner, std::string what)
      : work_(std::move(work)), owner_(owner), what_(std::move(what)) {}
  void wait() override;

 private:
  c10::intrusive_ptr<c10d::Work> work_;
  const ProcessGroupCommunicator* owner_;
  std::string what_;
};

class ProcessGroupCommunicator : public Communicator {
 public:
  ProcessGroupCommunicator(const DistributedConfig& config, std::string backend,
                           c10::intrusive_ptr<c10d::Store> store, c10::intrusive_ptr<GroupBase> group)
      : config_(config), backend_(std::move(backend)), store_(std::move(store)), group_(std::move(group)),
        heartbeat_(std::make_unique<Heartbeat>(store_, config.rank)) {}

  ~ProcessGroupCommunicator() override {
    // Stop touching the store first: rank 0 hosts it and may leave as soon as the others are done.
    heartbeat_->stop();
  }

  int rank() const override { return config_.rank; }
  int world_size() const override { return config_.world_size; }
  std::string backend() const override { return backend_; }

  std::unique_ptr<PendingCollective> all_reduce_sum_async(at::Tensor tensor) override {
    std::vector<at::Tensor> tensors{std::move(tensor)};
    c10d::AllreduceOptions opts;
    opts.reduceOp = c10d::ReduceOp::SUM;
    return std::make_unique<PendingWork>(guard("all-reduce", [&] { return group_->allreduce(tensors, opts); }), this, "all-reduce");
  }

  void all_reduce_max(at::Tensor tensor) override {
    std::vector<at::Tensor> tensors{std::move(tensor)};
    c10d::AllreduceOptions opts;
    opts.reduceOp = c10d::ReduceOp::MAX;
    PendingWork(guard("all-reduce", [&] { return group_->allreduce(tensors, opts); }), this, "all-reduce").wait();
  }

  void broadcast(at::Tensor tensor, int root) override {
    std::vector<at::Tensor> tensors{std::move(tensor)};
    c10d::BroadcastOptions opts;
    opts.rootRank = root;
    PendingWork(guard("broadcast", [&] { return group_->broadcast(tensors, opts); }), this, "broadcast").wait();
  }

  void barrier() override {
    c10d::BarrierOptions opts;
    PendingWork(guard("barrier", [&] { return group_->barrier(opts); }), this, "barrier").wait();
  }

  void report_failure(const std::string& reason) noexcept override {
    try {
      store_->set(failure_key(config_.rank), std::vector<uint8_t>(reason.begin(), reason.end()));
    } catch (...) {
    }
  }

  // Why the collective `what` failed with `error`, naming ranks where it can.
  [[noreturn]] void fail(const std::string& what, const std::string& error) const {
    std::ostringstream msg;
    msg << "distributed training failed on rank " << config_.rank << " of " << config_.world_size << " during a " << what
        << ": " << diagnose() << " (" << first_line(error) << "). The job can be resumed from its last checkpoint with --resume.";
    throw DistributedError(msg.str());
  }

 private:
  template <typename F>
  c10::intrusive_ptr<c10d::Work> guard(const std::string& what, F&& start) {
    try {
      return start();
    } catch (const std::exception& e) {
      fail(what, e.what());
    }
  }

  static std::string first_line(const std::string& text) {
    const auto end = text.find('\n');
    return end == std::string::npos ? text : text.substr(0, end);
  }

  // "rank R failed: reason; ..." for every other rank that reported a failure, or "".
  std::string reported_failures() const {
    std::string all;
    for (int r = 0; r < config_.world_size; ++r) {
      if (r == config_.rank || !store_->check({failure_key(r)})) continue;
      const std::vector<uint8_t> bytes = store_->get(failure_key(r));
      all += (all.empty() ? "" : "; ") + ("rank " + std::to_string(r) + " failed: " + std::string(bytes.begin(), bytes.end()));
    }
    return all;
  }

  // Asks the store which ranks reported a failure and which stopped beating.
  std::string diagnose() const {
    try {
      store_->setTimeout(std::chrono::seconds(5));
      if (const std::string reported = reported_failures(); !reported.empty()) return reported;
      std::vector<std::int64_t> before(static_cast<std::size_t>(config_.world_size));
      for (int r = 0; r < config_.world_size; ++r) before[static_cast<std::size_t>(r)] = store_->add(Heartbeat::key(r), 0);
      std::this_thread::sleep_for(4 * kHeartbeatInterval);
      // A failing rank's report and its leaving race to the store's server (a loaded machine can serve
      // this rank's question first): ask again before calling anyone silent.
      if (const std::string reported = reported_failures(); !reported.empty()) return reported;
      std::string silent;
      for (int r = 0; r < config_.world_size; ++r)
        if (r != config_.rank && store_->add(Heartbeat::key(r), 0) == before[static_cast<std::size_t>(r)])
          silent += (silent.empty() ? "" : ", ") + std::to_string(r);
      if (!silent.empty()) return "rank(s) " + silent + " stopped responding (the process died or froze)";
      return "every rank is still alive, so one is stuck or slower than the timeout (" +
             std::to_string(config_.timeout.count() / 1000.0) + " s)";
    } catch (const std::exception&) {
      return "rank 0, which hosts the rendezvous at " + config_.master_addr + ":" + std::to_string(config_.master_port) +
             ", is unreachable (the process died or its machine is down)";
    }
  }

  DistributedConfig config_;
  std::string backend_;
  c10::intrusive_ptr<c10d::Store> store_;
  c10::intrusive_ptr<GroupBase> group_;
  std::unique_ptr<Heartbeat> heartbeat_;
};

void PendingWork::wait() {
  try {
    work_->wait();  // the process group's own timeout bounds it
  } catch (const std::exception& e) {
    owner_->fail(what_, e.what());
  }
}

bool is_loopback(const std::string& host) {
  return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1";
}

}  // namespace

std::shared_ptr<Communicator> single_process_communicator() { return std::make_shared<SingleProcess>(); }

std::shared_ptr<Communicator> connect(const DistributedConfig& config, const std::string& device) {
  const std::string backend = resolve_backend(config.backend, device, nccl_available());
  if (config.world_size == 1) return single_process_communicator();
  const std::string where = config.master_addr + ":" + std::to_string(config.master_port);
  c10::intrusive_ptr<c10d::Store> store;
  try {
    c10d::TCPStoreOptions opts;
    opts.port = static_cast<std::uint16_t>(config.master_port);
    opts.isServer = config.rank == 0;
    opts.numWorkers = static_cast<std::size_t>(config.world_size);
    opts.waitWorkers = true;
    opts.timeout = config.timeout;
    store = c10::make_intrusive<c10d::TCPStore>(config.master_addr, opts);
  } catch (const std::exception& e) {
    throw DistributedError("rank " + std::to_string(config.rank) + " could not join the rendezvous at " + where + " within " +
                           std::to_string(config.timeout.count() / 1000.0) + " s: " +
                           (config.rank == 0 ? "is the port free and did every rank start? "
                                             : "is rank 0 running, and are MASTER_ADDR / MASTER_PORT right? ") +
                           "(" + e.what() + ")");
  }
  c10::intrusive_ptr<GroupBase> group;
  try {
    if (backend == "gloo") {
      auto opts = c10d::ProcessGroupGloo::Options::create(config.timeout);
      const char* ifname = std::getenv("GLOO_SOCKET_IFNAME");
      if (ifname != nullptr && *ifname != '\0')
        opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
      else if (is_loopback(config.master_addr))
        opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
      else
        opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
      opts->threads = 2;
      group = c10::make_intrusive<c10d::ProcessGroupGloo>(store, config.rank, config.world_size, opts);
    } else {
#ifdef USE_C10D_NCCL
      auto opts = c10d::ProcessGroupNCCL::Options::create();
      opts->timeout = config.timeout;
      group = c10::make_intrusive<c10d::ProcessGroupNCCL>(store, config.rank, config.world_size, opts);
#endif
    }
  } catch (const std::exception& e) {
    throw DistributedError("rank " + std::to_string(config.rank) + " could not set up the " + backend + " process group (rendezvous " +
                           where + "): " + e.what());
  }
  spdlog::info("rank {} of {} joined the {} process group at {}", config.rank, config.world_size, backend, where);
  return std::make_shared<ProcessGroupCommunicator>(config, backend, store, group);
}

void all_reduce_sum(Communicator& comm, std::vector<std::int64_t>& values) {
  if (!comm.distributed() || values.empty()) return;
  at::Tensor t = torch::from_blob(values.data(), {static_cast<std::int64_t>(values.size())}, torch::kInt64).clone();
  comm.all_reduce_sum(t);
  std::copy(t.data_ptr<std::int64_t>(), t.data_ptr<std::int64_t>() + values.size(), values.begin());
}

void all_reduce_sum(Communicator& comm, std::vector<double>& values) {
  if (!comm.distributed() || values.empty()) return;
  at::Tensor t = torch::from_blob(values.data(), {static_cast<std::int64_t>(values.size())}, torch::kFloat64).clone();
  comm.all_reduce_sum(t);
  std::copy(t.data_ptr<double>(), t.data_ptr<double>() + values.size(), values.begin());
}

namespace {

// Runs `collective` on one flat copy of `tensors` per (dtype, device) — a handful of collectives
// instead of one per tensor — and copies the results back.
void coalesced(const std::vector<at::Tensor>& tensors, const std::function<void(at::Tensor&)>& collective) {
  std::map<std::string, std::vector<at::Tensor>> groups;
  for (const auto& t : tensors) groups[std::string(c10::toString(t.scalar_type())) + "/" + t.device().str()].push_back(t);
  torch::NoGradGuard no_grad;
  for (auto& [key, members] : groups) {
    std::vector<at::Tensor> flat_parts;
    for (const auto& t : members) flat_parts.push_back(t.detach().reshape({-1}));
    at::Tensor flat = torch::cat(flat_parts);
    collective(flat);
    std::int64_t offset = 0;
    for (const auto& t : members) {
      const std::int64_t n = t.numel();
      t.detach().copy_(flat.narrow(0, offset, n).view(t.sizes()));
      offset += n;
    }
  }
}

}  // namespace

void broadcast_from_main(Communicator& comm, const std::vector<at::Tensor>& tensors) {
  if (!comm.distributed() || tensors.empty()) return;
  coalesced(tensors, [&](at::Tensor& flat) { comm.broadcast(flat, 0); });
}

void average_over_ranks(Communicator& comm, const std::vector<at::Tensor>& tensors) {
  if (!comm.distributed() || tensors.empty()) return;
  coalesced(tensors, [&](at::Tensor& flat) {
    comm.all_reduce_sum(flat);
    flat.div_(comm.world_size());
  });
}

}  // namespace segmaker::train
