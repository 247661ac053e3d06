#pragma once
// A tuning job's search space: SageMaker's ParameterRanges (Integer and Continuous ranges with a
// ScalingType, Categorical values) and the one mapping between a hyperparameter's value and the unit
// interval [0, 1] that every search strategy samples in:
//   Linear               u = (x - min) / (max - min)
//   Logarithmic          u = (log x - log min) / (log max - log min)              (0 < min)
//   ReverseLogarithmic   u = (log(1 - x) - log(1 - min)) / (log(1 - max) - log(1 - min))   (0 <= min < max < 1)
//   Auto                 Logarithmic when 0 < min and max / min >= 100, else Linear
// Integer values are rounded to the nearest integer in [min, max]; a categorical value is the
// floor(u * k)-th of its k values. Values go to the trials as strings, as SageMaker passes them.
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace segmaker::tuning {

enum class RangeKind { Integer, Continuous, Categorical };
enum class Scaling { Auto, Linear, Logarithmic, ReverseLogarithmic };

struct ParameterRange {
  std::string name;
  RangeKind kind = RangeKind::Continuous;
  double min = 0, max = 0;                // Integer and Continuous
  Scaling scaling = Scaling::Auto;        // Integer and Continuous
  std::vector<std::string> values;        // Categorical
};

// A trial's tuned hyperparameters: name → value as a string (SageMaker's TunedHyperParameters).
using Assignment = std::map<std::string, std::string>;

// "Auto" | "Linear" | "Logarithmic" | "ReverseLogarithmic". UserError on anything else.
Scaling parse_scaling(const std::string& name);
std::string to_string(Scaling scaling);
std::string to_string(RangeKind kind);  // "Integer", "Continuous", "Categorical"

// What Auto means for this range (never Auto).
Scaling effective_scaling(const ParameterRange& range);
// Why a range cannot be searched ("" when it can): Min > Max, a logarithmic scale with Min <= 0, a
// reverse logarithmic one outside [0, 1), a categorical range without values, a scale on a categorical.
std::string range_problem(const ParameterRange& range);

// u in [0, 1] → the value (integers rounded; categoricals: the index of the value, as a double).
double from_unit(const ParameterRange& range, double u);
// The value → u in [0, 1] (clamped).
double to_unit(const ParameterRange& range, double value);
// The value as the trial gets it: integers without a fraction, continuous values with 6 significant
// digits ("0.00123457"), categoricals as their string.
std::string format_value(const ParameterRange& range, double value);
// A whole string that is a finite number ("0.001", "1e-4"); nothing otherwise.
std::optional<double> parse_number(const std::string& text);
// The hyperparameter string (as format_value wrote it) → the value (a categorical's index). UserError
// when it does not belong to the range.
double parse_value(const ParameterRange& range, const std::string& text);

// The point of the unit cube (one coordinate per range) → the assignment, and back.
Assignment assignment_at(const std::vector<ParameterRange>& space, const std::vector<double>& unit_point);
std::vector<double> unit_point_of(const std::vector<ParameterRange>& space, const Assignment& assignment);

}  // namespace segmaker::tuning
