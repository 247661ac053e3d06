// Bayesian search on dlib's global_function_search (see search_strategy.h). Each proposal builds the
// optimiser afresh from the history -- finished trials are its function evaluations, running ones
// its outstanding requests -- so it needs no state of its own and a resumed tuning job proposes what
// an uninterrupted one would have.
#include "tuning/search_strategy.h"

#include <dlib/global_optimization.h>

#include "io/error.h"

namespace segmaker::tuning {

namespace {

class BayesianSearch : public SearchStrategy {
 public:
  BayesianSearch(std::vector<ParameterRange> space, std::uint64_t seed) : space_(std::move(space)), seed_(seed) {
    for (std::size_t i = 0; i < space_.size(); ++i) {
      const auto& r = space_[i];
      const bool fixed = r.kind == RangeKind::Categorical ? r.values.size() < 2 : r.min == r.max;
      if (!fixed) searched_.push_back(i);  // dlib needs lower != upper in every coordinate
    }
  }

  std::optional<Assignment> propose(std::size_t index, const std::vector<Evaluation>& history) const override {
    if (searched_.empty()) return assignment_at(space_, std::vector<double>(space_.size(), 0.0));
    const std::size_t n = searched_.size();
    dlib::matrix<double, 0, 1> lower(n), upper(n);
    for (std::size_t j = 0; j < n; ++j) {
      lower(j) = 0;
      upper(j) = 1;
    }
    std::vector<dlib::function_evaluation> done;
    std::size_t running = 0;
    for (const auto& e : history) {
      if (!e.objective) {
        ++running;
        continue;
      }
      try {
        done.emplace_back(encode(e.hyperparameters), *e.objective);
      } catch (const UserError&) {
        // a warm-start parent's trial outside this space (TransferLearning may change the ranges)
      }
    }
    dlib::global_function_search search({dlib::function_spec(lower, upper)}, {done}, 0.001);
    search.set_seed(static_cast<time_t>(seed_ * 1000003ULL + index));
    // The running trials' points are outstanding requests: asking once for each of them first makes
    // this proposal differ from theirs, as dlib does for parallel evaluations.
    std::vector<dlib::function_evaluation_request> outstanding;
    for (std::size_t i = 0; i < running; ++i) outstanding.push_back(search.get_next_x());
    const auto next = search.get_next_x();
    return decode(next.x());
  }

 private:
  dlib::matrix<double, 0, 1> encode(const Assignment& a) const {
    const std::vector<double> unit = unit_point_of(space_, a);
    dlib::matrix<double, 0, 1> x(searched_.size());
    for (std::size_t j = 0; j < searched_.size(); ++j) x(j) = unit[searched_[j]];
    return x;
  }

  Assignment decode(const dlib::matrix<double, 0, 1>& x) const {
    std::vector<double> unit(space_.size(), 0.0);
    for (std::size_t j = 0; j < searched_.size(); ++j) unit[searched_[j]] = x(j);
    return assignment_at(space_, unit);
  }

  std::vector<ParameterRange> space_;
  std::vector<std::size_t> searched_;  // the coordinates that vary
  std::uint64_t seed_;
};

}  // namespace

std::unique_ptr<SearchStrategy> make_bayesian_search(std::vector<ParameterRange> space, std::uint64_t seed) {
  return std::make_unique<BayesianSearch>(std::move(space), seed);
}

}  // namespace segmaker::tuning
