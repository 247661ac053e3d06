#include "train/distributed/gradient_sync.h"

#include "io/error.h"

namespace segmaker::train {

GradientSync::GradientSync(std::shared_ptr<Communicator> comm, std::vector<torch::Tensor> params, std::int64_t bucket_bytes)
    : comm_(std::move(comm)), params_(std::move(params)) {
  if (!comm_) throw UserError("GradientSync needs a communicator");
  if (bucket_bytes <= 0) throw UserError("gradient bucket size must be positive");
  bucket_of_.resize(params_.size());
  slot_of_.resize(params_.size());
  seen_.assign(params_.size(), false);
  // Reverse registration order ≈ the order backward finishes gradients; a new bucket starts when
  // the current one is full or the dtype/device changes.
  std::int64_t bytes = 0;
  for (std::size_t k = params_.size(); k-- > 0;) {
    const torch::Tensor& p = params_[k];
    if (!p.requires_grad()) throw UserError("GradientSync: a parameter does not require gradients");
    const bool fits = !buckets_.empty() && bytes + p.numel() * static_cast<std::int64_t>(p.element_size()) <= bucket_bytes &&
                      params_[buckets_.back().members.front()].scalar_type() == p.scalar_type() &&
                      params_[buckets_.back().members.front()].device() == p.device();
    if (!fits) {
      buckets_.emplace_back();
      bytes = 0;
    }
    Bucket& b = buckets_.back();
    bucket_of_[k] = buckets_.size() - 1;
    slot_of_[k] = b.members.size();
    b.offsets.push_back(b.members.empty() ? 0 : b.offsets.back() + params_[b.members.back()].numel());
    b.members.push_back(k);
    bytes += p.numel() * static_cast<std::int64_t>(p.element_size());
  }
  for (Bucket& b : buckets_) {
    const torch::Tensor& first = params_[b.members.front()];
    const std::int64_t n = b.offsets.back() + params_[b.members.back()].numel();
    if (comm_->distributed()) b.flat = torch::zeros({n}, first.options().requires_grad(false));  // one process: no copy
    stats_.bytes_per_step += n * static_cast<std::int64_t>(first.element_size());
  }
  stats_.buckets = buckets_.size();
  if (!comm_->distributed()) return;  // nothing to reduce: no hooks
  for (std::size_t k = 0; k < params_.size(); ++k)
    hooks_.push_back(params_[k].register_hook([this, k](const torch::Tensor& grad) { on_gradient(k, grad); }));
}

GradientSync::~GradientSync() {
  for (std::size_t k = 0; k < hooks_.size(); ++k) params_[k].remove_hook(hooks_[k]);
  // Never leave a collective running on buffers about to be freed.
  for (Bucket& b : buckets_)
    if (b.work) try {
        b.work->wait();
      } catch (...) {
      }
}

void GradientSync::prepare() {
  if (!comm_->distributed()) return;
  std::lock_guard<std::mutex> lock(mutex_);
  for (Bucket& b : buckets_) {
    b.pending = b.members.size();
    b.work.reset();
  }
  seen_.assign(params_.size(), false);
  next_launch_ = 0;
  armed_ = true;
}

void GradientSync::on_gradient(std::size_t param, const torch::Tensor& grad) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!armed_ || seen_[param]) return;  // e.g. a backward outside a training step
  seen_[param] = true;
  Bucket& b = buckets_[bucket_of_[param]];
  b.flat.narrow(0, b.offsets[slot_of_[param]], grad.numel()).copy_(grad.reshape({-1}));
  if (--b.pending == 0) launch_ready_buckets();
}

void GradientSync::launch_ready_buckets() {
  while (next_launch_ < buckets_.size() && buckets_[next_launch_].pending == 0) {
    Bucket& b = buckets_[next_launch_++];
    b.work = comm_->all_reduce_sum_async(b.flat);
  }
}

void GradientSync::finish() {
  if (!comm_->distributed()) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!armed_) throw std::logic_error("GradientSync::finish() without prepare()");
    armed_ = false;
    // Parameters that got no gradient this step contribute zeros.
    for (std::size_t k = 0; k < params_.size(); ++k) {
      if (seen_[k]) continue;
      Bucket& b = buckets_[bucket_of_[k]];
      b.flat.narrow(0, b.offsets[slot_of_[k]], params_[k].numel()).zero_();
      --b.pending;
    }
    launch_ready_buckets();
  }
  const auto start = std::chrono::steady_clock::now();
  const double scale = 1.0 / comm_->world_size();
  torch::NoGradGuard no_grad;
  for (Bucket& b : buckets_) {
    b.work->wait();
    b.work.reset();
    b.flat.mul_(scale);
    for (std::size_t s = 0; s < b.members.size(); ++s) {
      torch::Tensor& p = params_[b.members[s]];
      torch::Tensor mean = b.flat.narrow(0, b.offsets[s], p.numel()).view(p.sizes());
      if (p.grad().defined())
        p.mutable_grad().copy_(mean);
      else
        p.mutable_grad() = mean.clone();
    }
  }
  stats_.wait_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ++stats_.steps;
}

}  // namespace segmaker::train
