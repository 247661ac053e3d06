// Parameter ranges and their scaling (see parameter_range.h).
#include "tuning/parameter_range.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <sstream>

#include "io/error.h"

namespace segmaker::tuning {

namespace {

double clamp01(double u) { return std::isfinite(u) ? std::clamp(u, 0.0, 1.0) : 0.0; }

std::size_t category_index(const ParameterRange& r, double u) {
  const std::size_t k = r.values.size();
  return std::min(k - 1, static_cast<std::size_t>(clamp01(u) * static_cast<double>(k)));
}

}  // namespace

Scaling parse_scaling(const std::string& name) {
  if (name == "Auto") return Scaling::Auto;
  if (name == "Linear") return Scaling::Linear;
  if (name == "Logarithmic") return Scaling::Logarithmic;
  if (name == "ReverseLogarithmic") return Scaling::ReverseLogarithmic;
  throw UserError("ScalingType must be one of Auto, Linear, Logarithmic, ReverseLogarithmic, got '" + name + "'");
}

std::string to_string(Scaling s) {
  switch (s) {
    case Scaling::Auto: return "Auto";
    case Scaling::Linear: return "Linear";
    case Scaling::Logarithmic: return "Logarithmic";
    case Scaling::ReverseLogarithmic: return "ReverseLogarithmic";
  }
  return "Auto";
}

std::string to_string(RangeKind k) {
  return k == RangeKind::Integer ? "Integer" : k == RangeKind::Continuous ? "Continuous" : "Categorical";
}

Scaling effective_scaling(const ParameterRange& r) {
  if (r.scaling != Scaling::Auto) return r.scaling;
  return r.min > 0 && r.max / r.min >= 100 ? Scaling::Logarithmic : Scaling::Linear;
}

std::string range_problem(const ParameterRange& r) {
  if (r.kind == RangeKind::Categorical)
    return r.values.empty() ? "a categorical range needs at least one value" : "";
  if (!std::isfinite(r.min) || !std::isfinite(r.max)) return "MinValue and MaxValue must be finite numbers";
  if (r.min > r.max)
    return "MinValue (" + format_value(r, r.min) + ") must be less than or equal to MaxValue (" + format_value(r, r.max) + ")";
  if (r.kind == RangeKind::Integer && (r.min != std::floor(r.min) || r.max != std::floor(r.max)))
    return "an integer range needs integer MinValue and MaxValue";
  if (r.kind == RangeKind::Integer && (std::fabs(r.min) > 9007199254740992.0 || std::fabs(r.max) > 9007199254740992.0))
    return "an integer range must lie within -2^53 … 2^53";
  if (r.scaling == Scaling::Logarithmic && r.min <= 0)
    return "Logarithmic scaling requires MinValue > 0, got " + format_value(r, r.min);
  if (r.scaling == Scaling::ReverseLogarithmic && (r.min < 0 || r.max >= 1))
    return "ReverseLogarithmic scaling requires 0 <= MinValue and MaxValue < 1";
  if (r.scaling == Scaling::ReverseLogarithmic && r.kind == RangeKind::Integer)
    return "ReverseLogarithmic scaling applies to continuous ranges only";
  return "";
}

double from_unit(const ParameterRange& r, double u) {
  u = clamp01(u);
  if (r.kind == RangeKind::Categorical) return static_cast<double>(category_index(r, u));
  double x = r.min;
  switch (effective_scaling(r)) {
    case Scaling::Logarithmic: x = std::exp(std::log(r.min) + u * (std::log(r.max) - std::log(r.min))); break;
    case Scaling::ReverseLogarithmic:
      x = 1 - std::exp(std::log(1 - r.min) + u * (std::log(1 - r.max) - std::log(1 - r.min)));
      break;
    default: x = r.min + u * (r.max - r.min);
  }
  x = std::clamp(x, r.min, r.max);
  return r.kind == RangeKind::Integer ? std::round(x) : x;
}

double to_unit(const ParameterRange& r, double x) {
  if (r.kind == RangeKind::Categorical)
    return r.values.size() <= 1 ? 0.0 : (x + 0.5) / static_cast<double>(r.values.size());
  if (r.max == r.min) return 0.0;
  x = std::clamp(x, r.min, r.max);
  switch (effective_scaling(r)) {
    case Scaling::Logarithmic: return clamp01((std::log(x) - std::log(r.min)) / (std::log(r.max) - std::log(r.min)));
    case Scaling::ReverseLogarithmic:
      return clamp01((std::log(1 - x) - std::log(1 - r.min)) / (std::log(1 - r.max) - std::log(1 - r.min)));
    default: return clamp01((x - r.min) / (r.max - r.min));
  }
}

std::string format_value(const ParameterRange& r, double x) {
  if (r.kind == RangeKind::Categorical) return r.values.at(static_cast<std::size_t>(x));
  std::ostringstream os;
  if (r.kind == RangeKind::Integer) os << static_cast<long long>(std::llround(x));
  else os << std::setprecision(6) << x;
  return os.str();
}

double parse_value(const ParameterRange& r, const std::string& text) {
  if (r.kind == RangeKind::Categorical) {
    const auto it = std::find(r.values.begin(), r.values.end(), text);
    if (it == r.values.end()) throw UserError("'" + text + "' is not one of the values of " + r.name);
    return static_cast<double>(it - r.values.begin());
  }
  const auto x = parse_number(text);
  if (!x) throw UserError("'" + text + "' is not a number (hyperparameter " + r.name + ")");
  return *x;
}

std::optional<double> parse_number(const std::string& text) {
  std::size_t used = 0;
  double x = 0;
  try {
    x = std::stod(text, &used);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (used != text.size() || !std::isfinite(x)) return std::nullopt;
  return x;
}

Assignment assignment_at(const std::vector<ParameterRange>& space, const std::vector<double>& unit_point) {
  Assignment a;
  for (std::size_t i = 0; i < space.size(); ++i)
    a[space[i].name] = format_value(space[i], from_unit(space[i], i < unit_point.size() ? unit_point[i] : 0.0));
  return a;
}

std::vector<double> unit_point_of(const std::vector<ParameterRange>& space, const Assignment& assignment) {
  std::vector<double> u;
  for (const auto& r : space) {
    const auto it = assignment.find(r.name);
    if (it == assignment.end()) throw UserError("the trial has no value for tuned hyperparameter " + r.name);
    u.push_back(to_unit(r, parse_value(r, it->second)));
  }
  return u;
}

}  // namespace segmaker::tuning
