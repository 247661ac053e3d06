// Grid search: every combination of the categorical values, the first range varying slowest
// (see search_strategy.h).
#include "tuning/search_strategy.h"

#include "io/error.h"

namespace segmaker::tuning {

namespace {

constexpr std::size_t kMaxGrid = 1000000;

class GridSearch : public SearchStrategy {
 public:
  explicit GridSearch(std::vector<ParameterRange> space) : space_(std::move(space)) {
    for (const auto& r : space_) {
      if (r.kind != RangeKind::Categorical)
        throw UserError("the Grid strategy searches categorical ranges only; '" + r.name + "' is " + to_string(r.kind) +
                        ": give its values as a CategoricalParameterRange");
      // saturating: 30 ranges of 30 values overflow any integer, and no tuning job runs more than kMaxGrid trials
      size_ = size_ > kMaxGrid / r.values.size() ? kMaxGrid : size_ * r.values.size();
    }
  }

  std::optional<Assignment> propose(std::size_t index, const std::vector<Evaluation>&) const override {
    if (index >= size_) return std::nullopt;  // (a saturated grid still enumerates its first kMaxGrid points)
    Assignment a;
    std::size_t rest = index;
    for (std::size_t i = space_.size(); i-- > 0;) {
      const auto& r = space_[i];
      a[r.name] = r.values[rest % r.values.size()];
      rest /= r.values.size();
    }
    return a;
  }

  std::optional<std::size_t> capacity() const override { return size_; }

 private:
  std::vector<ParameterRange> space_;
  std::size_t size_ = 1;
};

}  // namespace

std::unique_ptr<SearchStrategy> make_grid_search(std::vector<ParameterRange> space) {
  return std::make_unique<GridSearch>(std::move(space));
}

}  // namespace segmaker::tuning
