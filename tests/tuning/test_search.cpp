// The tuning area: range scaling, the strategies' proposals, Hyperband's brackets, the median rule.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "io/error.h"
#include "tuning/hyperband.h"
#include "tuning/median_rule.h"
#include "tuning/parameter_range.h"
#include "tuning/search_strategy.h"

namespace segmaker::tuning {
namespace {

ParameterRange continuous(const std::string& name, double lo, double hi, Scaling s) {
  return {name, RangeKind::Continuous, lo, hi, s, {}};
}
ParameterRange integer(const std::string& name, double lo, double hi, Scaling s = Scaling::Linear) {
  return {name, RangeKind::Integer, lo, hi, s, {}};
}
ParameterRange categorical(const std::string& name, std::vector<std::string> values) {
  return {name, RangeKind::Categorical, 0, 0, Scaling::Auto, std::move(values)};
}

TEST(ParameterRange, LinearAndLogarithmicScalesMapTheUnitIntervalOntoTheRange) {
  const auto lin = continuous("momentum", 0.9, 0.999, Scaling::Linear);
  EXPECT_DOUBLE_EQ(from_unit(lin, 0.0), 0.9);
  EXPECT_DOUBLE_EQ(from_unit(lin, 1.0), 0.999);
  EXPECT_NEAR(from_unit(lin, 0.5), 0.9495, 1e-12);
  const auto log = continuous("learning_rate", 1e-4, 1e-1, Scaling::Logarithmic);
  EXPECT_NEAR(from_unit(log, 0.0), 1e-4, 1e-12);
  EXPECT_NEAR(from_unit(log, 1.0 / 3), 1e-3, 1e-12);  // a decade per third
  EXPECT_NEAR(from_unit(log, 2.0 / 3), 1e-2, 1e-12);
  EXPECT_NEAR(to_unit(log, 1e-2), 2.0 / 3, 1e-12);
}

TEST(ParameterRange, ReverseLogarithmicCrowdsTheSamplesNearOne) {
  const auto r = continuous("momentum", 0.9, 0.999, Scaling::ReverseLogarithmic);
  EXPECT_NEAR(from_unit(r, 0.0), 0.9, 1e-12);
  EXPECT_NEAR(from_unit(r, 0.5), 0.99, 1e-12);  // 1 - x is log-uniform: 0.1 … 0.001
  EXPECT_NEAR(from_unit(r, 1.0), 0.999, 1e-12);
  EXPECT_NEAR(to_unit(r, 0.99), 0.5, 1e-12);
}

TEST(ParameterRange, AutoIsLogarithmicOverTwoDecadesOrMore) {
  EXPECT_EQ(effective_scaling(continuous("learning_rate", 1e-4, 1e-1, Scaling::Auto)), Scaling::Logarithmic);
  EXPECT_EQ(effective_scaling(continuous("momentum", 0.9, 0.999, Scaling::Auto)), Scaling::Linear);
  EXPECT_EQ(effective_scaling(integer("mini_batch_size", 0, 128, Scaling::Auto)), Scaling::Linear);
}

TEST(ParameterRange, IntegersAreRoundedAndCategoricalsIndexed) {
  const auto r = integer("mini_batch_size", 1, 128, Scaling::Logarithmic);
  for (double u = 0; u <= 1.0; u += 0.01) {
    const double x = from_unit(r, u);
    EXPECT_EQ(x, std::round(x));
    EXPECT_GE(x, 1);
    EXPECT_LE(x, 128);
  }
  EXPECT_EQ(format_value(r, from_unit(r, 1.0)), "128");
  const auto c = categorical("optimizer", {"sgd", "adam", "nag"});
  EXPECT_EQ(format_value(c, from_unit(c, 0.0)), "sgd");
  EXPECT_EQ(format_value(c, from_unit(c, 0.5)), "adam");
  EXPECT_EQ(format_value(c, from_unit(c, 1.0)), "nag");
  EXPECT_EQ(from_unit(c, to_unit(c, 2)), 2);  // each value's cell maps back to it
  EXPECT_THROW(parse_value(c, "rmsprop"), UserError);
  EXPECT_THROW(parse_value(r, "12abc"), UserError);
}

TEST(ParameterRange, RangesThatCannotBeSearchedSayWhy) {
  EXPECT_NE(range_problem(continuous("learning_rate", 0.1, 0.01, Scaling::Linear)).find("less than or equal"), std::string::npos);
  EXPECT_NE(range_problem(continuous("learning_rate", 0, 0.1, Scaling::Logarithmic)).find("MinValue > 0"), std::string::npos);
  EXPECT_NE(range_problem(continuous("momentum", 0.5, 1.0, Scaling::ReverseLogarithmic)).find("MaxValue < 1"), std::string::npos);
  EXPECT_NE(range_problem(integer("epochs", 1.5, 3)).find("integer"), std::string::npos);
  EXPECT_NE(range_problem(categorical("optimizer", {})).find("at least one"), std::string::npos);
  EXPECT_EQ(range_problem(continuous("learning_rate", 1e-4, 1e-1, Scaling::Logarithmic)), "");
}

TEST(Strategies, RandomIsSeededPerTrialAndHonoursTheScaling) {
  const std::vector<ParameterRange> space = {continuous("learning_rate", 1e-4, 1e-1, Scaling::Logarithmic)};
  const auto a = make_search_strategy(Strategy::Random, space, 7);
  const auto b = make_search_strategy(Strategy::Random, space, 7);
  const auto c = make_search_strategy(Strategy::Random, space, 8);
  EXPECT_EQ(a->propose(3, {}), b->propose(3, {}));
  EXPECT_NE(a->propose(3, {}), c->propose(3, {}));
  EXPECT_NE(a->propose(3, {}), a->propose(4, {}));
  // log-uniform: about a third of the samples in each decade
  int below_1e3 = 0;
  const int n = 3000;
  for (int i = 0; i < n; ++i) below_1e3 += std::stod(a->propose(static_cast<std::size_t>(i), {})->at("learning_rate")) < 1e-3;
  EXPECT_NEAR(below_1e3 / static_cast<double>(n), 1.0 / 3, 0.04);
}

TEST(Strategies, GridEnumeratesEveryCombinationOnce) {
  const auto grid = make_search_strategy(
      Strategy::Grid, {categorical("optimizer", {"sgd", "adam"}), categorical("algorithm", {"fcn", "psp", "deeplab"})}, 0);
  ASSERT_EQ(grid->capacity(), std::size_t{6});
  std::set<Assignment> seen;
  for (std::size_t i = 0; i < 6; ++i) seen.insert(*grid->propose(i, {}));
  EXPECT_EQ(seen.size(), 6u);
  EXPECT_FALSE(grid->propose(6, {}));
  EXPECT_EQ(grid->propose(0, {})->at("optimizer"), "sgd");
  EXPECT_EQ(grid->propose(5, {})->at("algorithm"), "deeplab");
  EXPECT_THROW(make_search_strategy(Strategy::Grid, {integer("epochs", 1, 3)}, 0), UserError);
}

// A smooth function with its maximum at learning_rate 1e-2, momentum 0.95, optimizer adam.
double objective(const Assignment& a) {
  const double lr = std::log10(std::stod(a.at("learning_rate")));
  const double m = std::stod(a.at("momentum"));
  return -(lr + 2) * (lr + 2) - 100 * (m - 0.95) * (m - 0.95) - (a.at("optimizer") == "adam" ? 0 : 0.5);
}

double best_after(Strategy strategy, int trials, std::uint64_t seed) {
  const std::vector<ParameterRange> space = {continuous("learning_rate", 1e-5, 1, Scaling::Logarithmic),
                                             continuous("momentum", 0.5, 0.999, Scaling::Linear),
                                             categorical("optimizer", {"sgd", "adam", "nag"})};
  const auto s = make_search_strategy(strategy, space, seed);
  std::vector<Evaluation> history;
  double best = -1e9;
  for (int i = 0; i < trials; ++i) {
    const auto a = s->propose(static_cast<std::size_t>(i), history);
    const double y = objective(*a);
    history.push_back({*a, y});
    best = std::max(best, y);
  }
  return best;
}

TEST(Strategies, BayesianFindsASmoothOptimumFasterThanRandom) {
  double bayes = 0, random = 0;
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    bayes += best_after(Strategy::Bayesian, 25, seed);
    random += best_after(Strategy::Random, 25, seed);
  }
  EXPECT_GT(bayes / 5, -0.05);  // close to the optimum (0)
  EXPECT_GT(bayes, random);
}

TEST(Strategies, BayesianGivesParallelTrialsDifferentPointsAndIsReproducible) {
  const std::vector<ParameterRange> space = {continuous("learning_rate", 1e-4, 1e-1, Scaling::Logarithmic),
                                             integer("mini_batch_size", 2, 16)};
  const auto s = make_search_strategy(Strategy::Bayesian, space, 3);
  std::vector<Evaluation> history;
  for (std::size_t i = 0; i < 4; ++i) history.push_back({*s->propose(i, history), std::nullopt});  // all running
  std::set<Assignment> distinct;
  for (const auto& e : history) distinct.insert(e.hyperparameters);
  EXPECT_EQ(distinct.size(), 4u);
  const auto again = make_search_strategy(Strategy::Bayesian, space, 3);
  EXPECT_EQ(again->propose(2, {history[0], history[1]}), s->propose(2, {history[0], history[1]}));
}

TEST(Hyperband, BracketsAndRungsFollowSuccessiveHalving) {
  HyperbandPlan plan{1, 9, 3};
  EXPECT_EQ(plan.max_bracket(), 2);
  EXPECT_EQ(plan.rungs(2), (std::vector<int>{1, 3}));
  EXPECT_EQ(plan.rungs(1), (std::vector<int>{3}));
  EXPECT_TRUE(plan.rungs(0).empty());
  // n_s = ceil(3 / (s + 1) * 3^s): 9, 5, 3 trials per cycle, most aggressive first
  int counts[3] = {0, 0, 0};
  for (std::size_t i = 0; i < 17; ++i) ++counts[plan.bracket_of(i)];
  EXPECT_EQ(counts[2], 9);
  EXPECT_EQ(counts[1], 5);
  EXPECT_EQ(counts[0], 3);
  EXPECT_EQ(plan.bracket_of(17), 2);  // the next cycle
  EXPECT_THROW((HyperbandPlan{5, 2, 3}.check()), UserError);
}

TEST(Hyperband, ATrialGoesOnOnlyInTheTopThirdOfItsRung) {
  HyperbandPlan plan{1, 9, 3};
  EXPECT_TRUE(hyperband_continues(plan, 2, 1, 0.1, {}));               // first to reach the rung
  EXPECT_TRUE(hyperband_continues(plan, 2, 1, 0.5, {0.4, 0.3}));       // best of 3
  EXPECT_FALSE(hyperband_continues(plan, 2, 1, 0.35, {0.4, 0.3}));     // 2nd of 3: keep 1
  EXPECT_TRUE(hyperband_continues(plan, 2, 1, 0.35, {0.4, 0.3, 0.1}));  // 2nd of 4: keep 2
  EXPECT_TRUE(hyperband_continues(plan, 2, 2, 0.0, {0.4, 0.3}));       // epoch 2 is no rung
  EXPECT_TRUE(hyperband_continues(plan, 0, 3, 0.0, {0.4, 0.3}));       // bracket 0 has none
}

TEST(MedianRule, StopsATrialBelowTheMedianOfEarlierRunningAverages) {
  const std::vector<std::vector<double>> earlier = {{0.5, 0.6, 0.7}, {0.3, 0.4, 0.5}, {0.4, 0.5}};
  // epoch 2: running averages 0.55, 0.35, 0.45 → median 0.45
  EXPECT_TRUE(median_rule_stops({0.2, 0.44}, earlier));
  EXPECT_FALSE(median_rule_stops({0.2, 0.46}, earlier));
  // epoch 3: only two earlier trials reached it: averages 0.6, 0.4 → median 0.5
  EXPECT_TRUE(median_rule_stops({0.2, 0.5, 0.49}, earlier));
  EXPECT_FALSE(median_rule_stops({0.2, 0.5, 0.51}, earlier));
  EXPECT_FALSE(median_rule_stops({0.1, 0.1, 0.1, 0.1}, earlier));  // nobody reached epoch 4
  EXPECT_FALSE(median_rule_stops({}, earlier));
  EXPECT_DOUBLE_EQ(median({3, 1, 2, 10}), 2.5);
}

}  // namespace
}  // namespace segmaker::tuning
