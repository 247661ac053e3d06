// Random search: seeded uniform samples of the unit cube (see search_strategy.h).
#include "tuning/search_strategy.h"

namespace segmaker::tuning {

namespace {

class RandomSearch : public SearchStrategy {
 public:
  RandomSearch(std::vector<ParameterRange> space, std::uint64_t seed) : space_(std::move(space)), seed_(seed) {}

  std::optional<Assignment> propose(std::size_t index, const std::vector<Evaluation>&) const override {
    return assignment_at(space_, random_unit_point(space_.size(), seed_, index));
  }

 private:
  std::vector<ParameterRange> space_;
  std::uint64_t seed_;
};

}  // namespace

std::unique_ptr<SearchStrategy> make_random_search(std::vector<ParameterRange> space, std::uint64_t seed) {
  return std::make_unique<RandomSearch>(std::move(space), seed);
}

}  // namespace segmaker::tuning
