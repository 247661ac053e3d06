#include "train/hyperparameters.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <sstream>
#include <variant>

#include <nlohmann/json.hpp>

#include "inference/engine/precision.h"
#include "io/error.h"
#include "io/paths.h"

namespace segmaker::train {

namespace {

using json = nlohmann::json;
using H = Hyperparameters;
using Member = std::variant<int H::*, double H::*, bool H::*, std::string H::*, std::vector<int> H::*>;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kIntMagnitude = 2e9;  // an int hyperparameter's values lie within ±kIntMagnitude

// One row of the table. Numeric ranges: lo/hi with open or closed ends. Strings: `choices`.
struct Field {
  const char* name;
  Member member;
  double lo = -kInf;
  double hi = kInf;
  bool lo_open = false;
  bool hi_open = false;
  std::vector<std::string> choices = {};
  bool required = false;
  // A sanity limit above the documented range (SageMaker names none): beyond it a value is a typo
  // or an attack, never a training job.
  double limit = kInf;
};

// THE table: every hyperparameter, its member, range or choices. Defaults live in the struct.
// Upper bounds are sanity limits: a value beyond them is a typo or an attack, never a training job
// (crop_size = base_size = 2e9 would make OpenCV try to allocate 1.2e19 bytes).
const std::vector<Field>& fields() {
  static const std::vector<Field> table = {
      {"backbone", &H::backbone, 0, 0, false, false, {"resnet-50", "resnet-101", "resnet-18", "resnet-34"}},
      {"algorithm", &H::algorithm, 0, 0, false, false, {"fcn", "psp", "deeplab"}},
      {"use_pretrained_model", &H::use_pretrained_model},
      {"num_classes", &H::num_classes, 2, 254, false, false, {}, true},
      {"num_training_samples", &H::num_training_samples, 1, kInf, false, false, {}, true, 1e8},
      {"base_size", &H::base_size, 16, kInf, true, false, {}, false, 4096},
      {"crop_size", &H::crop_size, 16, kInf, true, false, {}, false, 2048},
      {"epochs", &H::epochs, 1, kInf, false, false, {}, false, 10000},
      {"learning_rate", &H::learning_rate, 0, 1, true, false},
      {"lr_scheduler", &H::lr_scheduler, 0, 0, false, false, {"poly", "step", "cosine"}},
      {"lr_scheduler_factor", &H::lr_scheduler_factor, 0, 1},
      {"lr_scheduler_step", &H::lr_scheduler_step, 1, kInf, false, false, {}, false, 10000},
      {"mini_batch_size", &H::mini_batch_size, 1, kInf, false, false, {}, false, 1024},
      {"validation_mini_batch_size", &H::validation_mini_batch_size, 1, kInf, false, false, {}, false, 1024},
      {"optimizer", &H::optimizer, 0, 0, false, false, {"sgd", "adam", "adagrad", "nag", "rmsprop"}},
      {"momentum", &H::momentum, 0, 1, true, false},
      {"weight_decay", &H::weight_decay, 0, 1, false, true},
      {"gamma1", &H::gamma1, 0, 1},
      {"gamma2", &H::gamma2, 0, 1},
      {"syncbn", &H::syncbn},
      {"early_stopping", &H::early_stopping},
      {"early_stopping_min_epochs", &H::early_stopping_min_epochs, 0, kInf, false, false, {}, false, 10000},
      {"early_stopping_patience", &H::early_stopping_patience, 1, kInf, false, false, {}, false, 10000},
      {"early_stopping_tolerance", &H::early_stopping_tolerance, 0, 1},
      {"output_stride", &H::output_stride, 0, 0, false, false, {"8", "16", "32"}},
      {"aux_loss", &H::aux_loss},
      {"aux_weight", &H::aux_weight, 0, kInf, false, false, {}, false, 100},
      {"freeze_backbone", &H::freeze_backbone},
      {"seed", &H::seed, 0, kInf},
      {"warmup_epochs", &H::warmup_epochs, 0, kInf, false, false, {}, false, 10000},
      {"data_workers", &H::data_workers, 0, 64},
      {"precision", &H::precision, 0, 0, false, false, inference::training_precision_names()},
  };
  return table;
}

std::string range_text(const Field& f, bool integer) {
  if (!f.choices.empty()) {
    std::string s = "one of ";
    for (std::size_t i = 0; i < f.choices.size(); ++i) s += (i ? ", " : "") + f.choices[i];
    return s;
  }
  auto num = [&](double v) {
    std::ostringstream os;
    if (integer) os << static_cast<long long>(v); else os << v;
    return os.str();
  };
  std::string kind = integer ? "an integer" : "a number";
  const std::string limit = f.limit == kInf ? "" : " (at most " + num(f.limit) + ")";
  if (f.lo == -kInf && f.hi == kInf) return kind + limit;
  if (f.hi == kInf) return kind + (f.lo_open ? " > " : " >= ") + num(f.lo) + limit;
  return kind + " with " + num(f.lo) + (f.lo_open ? " < x " : " <= x ") + (f.hi_open ? "< " : "<= ") + num(f.hi) + limit;
}

std::string allowed_text(const Field& f) {
  return std::visit(
      [&](auto member) -> std::string {
        using T = std::decay_t<decltype(std::declval<H>().*member)>;
        if constexpr (std::is_same_v<T, bool>) return "True or False";
        else if constexpr (std::is_same_v<T, std::string>) return range_text(f, false);
        else if constexpr (std::is_same_v<T, int>) return range_text(f, true);
        else if constexpr (std::is_same_v<T, double>) return range_text(f, false);
        else return "comma-separated integers (e.g. \"10,20\"), each " + range_text(f, true);
      },
      f.member);
}

[[noreturn]] void bad_value(const Field& f, const json& value) {
  std::string shown = value.is_string() ? "\"" + value.get<std::string>() + "\"" : value.dump();
  throw UserError("hyperparameter " + std::string(f.name) + " = " + shown + " is invalid: expected " + allowed_text(f));
}

std::string trim(std::string s) {
  auto not_space = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

bool parse_bool(const Field& f, const json& v) {
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_string()) {
    std::string s = trim(v.get<std::string>());
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    if (s == "true" || s == "1") return true;
    if (s == "false" || s == "0") return false;
  }
  if (v.is_number_integer() && (v.get<long long>() == 0 || v.get<long long>() == 1)) return v.get<long long>() == 1;
  bad_value(f, v);
}

double parse_number(const Field& f, const json& v) {
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) {
    std::string s = trim(v.get<std::string>());
    if (!s.empty()) {
      std::size_t used = 0;
      try {
        double d = std::stod(s, &used);
        if (used == s.size() && std::isfinite(d)) return d;
      } catch (const std::exception&) {
      }
    }
  }
  bad_value(f, v);
}

void check_range(const Field& f, const json& v, double d) {
  bool ok = (f.lo_open ? d > f.lo : d >= f.lo) && (f.hi_open ? d < f.hi : d <= f.hi) && d <= f.limit;
  if (!ok) bad_value(f, v);
}

int parse_int(const Field& f, const json& v) {
  double d = parse_number(f, v);
  if (d != std::floor(d) || std::fabs(d) > kIntMagnitude) bad_value(f, v);
  if (f.choices.empty()) check_range(f, v, d);
  return static_cast<int>(d);
}

std::vector<int> parse_int_list(const Field& f, const json& v) {
  std::vector<int> out;
  if (v.is_array()) {
    for (const auto& item : v) out.push_back(parse_int(f, item));
  } else if (v.is_number()) {
    out.push_back(parse_int(f, v));
  } else if (v.is_string()) {
    if (trim(v.get<std::string>()).empty()) return out;
    std::stringstream ss(v.get<std::string>());
    std::string part;
    while (std::getline(ss, part, ',')) {
      part = trim(part);
      if (part.empty()) bad_value(f, v);
      out.push_back(parse_int(f, json(part)));
    }
  } else {
    bad_value(f, v);
  }
  if (!std::is_sorted(out.begin(), out.end()) ||
      std::adjacent_find(out.begin(), out.end()) != out.end())
    throw UserError("hyperparameter " + std::string(f.name) + " = " + v.dump() +
                    " is invalid: expected strictly increasing epochs, e.g. \"10,20\"");
  return out;
}

void assign(const Field& f, H& h, const json& v) {
  std::visit(
      [&](auto member) {
        using T = std::decay_t<decltype(h.*member)>;
        if constexpr (std::is_same_v<T, bool>) {
          h.*member = parse_bool(f, v);
        } else if constexpr (std::is_same_v<T, int>) {
          if (!f.choices.empty()) {  // integer with a fixed set of values (output_stride)
            int x = parse_int(f, v);
            if (std::find(f.choices.begin(), f.choices.end(), std::to_string(x)) == f.choices.end()) bad_value(f, v);
            h.*member = x;
          } else {
            h.*member = parse_int(f, v);
          }
        } else if constexpr (std::is_same_v<T, double>) {
          double d = parse_number(f, v);
          check_range(f, v, d);
          h.*member = d;
        } else if constexpr (std::is_same_v<T, std::string>) {
          if (!v.is_string()) bad_value(f, v);
          std::string s = trim(v.get<std::string>());
          std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
          if (std::find(f.choices.begin(), f.choices.end(), s) == f.choices.end()) bad_value(f, v);
          h.*member = s;
        } else {
          h.*member = parse_int_list(f, v);
        }
      },
      f.member);
}

std::string known_names() {
  std::string s;
  for (const auto& f : fields()) s += (s.empty() ? "" : ", ") + std::string(f.name);
  return s;
}

}  // namespace

Hyperparameters parse_hyperparameters(const json& object, bool require_data_fields) {
  if (!object.is_object()) throw UserError("hyperparameters must be a JSON object of name → value, got " + object.dump());
  H h;
  for (const auto& item : object.items()) {
    const std::string& name = item.key();  // (a structured binding cannot be captured before C++20)
    const json& value = item.value();
    if (name.rfind('_', 0) == 0 || name.rfind("sagemaker_", 0) == 0) continue;  // SageMaker's own keys
    auto it = std::find_if(fields().begin(), fields().end(), [&](const Field& f) { return name == f.name; });
    if (it == fields().end())
      throw UserError("unknown hyperparameter '" + name + "'; known hyperparameters: " + known_names());
    assign(*it, h, value);
  }
  for (const auto& f : fields()) {
    if (f.required && require_data_fields && !object.contains(f.name))
      throw UserError("hyperparameter " + std::string(f.name) + " is required (" + allowed_text(f) + ")");
  }
  // Cross-field rules.
  h.crop_size = (h.crop_size + 7) / 8 * 8;  // SageMaker rounds up to a multiple of 8
  if (h.lr_scheduler == "step" && h.lr_scheduler_step.empty())
    throw UserError("hyperparameter lr_scheduler_step is required when lr_scheduler = step "
                    "(comma-separated epochs, e.g. \"10,20\")");
  if (h.early_stopping_min_epochs > h.epochs && h.early_stopping)
    throw UserError("hyperparameter early_stopping_min_epochs = " + std::to_string(h.early_stopping_min_epochs) +
                    " exceeds epochs = " + std::to_string(h.epochs));
  if (h.warmup_epochs >= h.epochs && h.warmup_epochs > 0)
    throw UserError("hyperparameter warmup_epochs = " + std::to_string(h.warmup_epochs) +
                    " must be smaller than epochs = " + std::to_string(h.epochs));
  return h;
}

json with_overrides(json object, const std::vector<std::string>& overrides) {
  for (const auto& o : overrides) {
    const auto eq = o.find('=');
    if (eq == std::string::npos || eq == 0) throw UserError("--set expects NAME=VALUE, got '" + o + "'");
    object[o.substr(0, eq)] = o.substr(eq + 1);
  }
  return object;
}

Hyperparameters load_hyperparameters(const std::string& path, bool require_data_fields,
                                     const std::vector<std::string>& overrides) {
  json j;
  try {
    j = json::parse(io::read_file(path));
  } catch (const json::exception& e) {  // parse_error, and out_of_range for numbers like 4e2000000000
    throw UserError("'" + path + "' is not valid JSON: " + e.what());
  }
  return parse_hyperparameters(with_overrides(std::move(j), overrides), require_data_fields);
}

json to_json(const Hyperparameters& h) {
  json j = json::object();
  for (const auto& f : fields()) std::visit([&](auto member) { j[f.name] = h.*member; }, f.member);
  return j;
}

std::string describe_hyperparameters() {
  H defaults;
  std::ostringstream os;
  for (const auto& f : fields()) {
    os << "  " << f.name;
    if (f.required) {
      os << " (required)";
    } else {
      json d;
      std::visit([&](auto member) { d = defaults.*member; }, f.member);
      os << " = " << d.dump();
    }
    os << ": " << allowed_text(f) << "\n";
  }
  return os.str();
}

json hyperparameter_table() {
  H defaults;
  json table = json::array();
  for (const auto& f : fields()) {
    json row = {{"name", f.name}, {"required", f.required}, {"allowed", allowed_text(f)}};
    if (!f.required) std::visit([&](auto member) { row["default"] = defaults.*member; }, f.member);
    std::visit(
        [&](auto member) {
          using T = std::decay_t<decltype(std::declval<H>().*member)>;
          if constexpr (std::is_same_v<T, bool>) {
            row["type"] = "Categorical";
            row["values"] = {"True", "False"};
          } else if constexpr (std::is_same_v<T, std::string>) {
            row["type"] = "Categorical";
            row["values"] = f.choices;
          } else {
            row["type"] = std::is_same_v<T, int> ? "Integer" : std::is_same_v<T, double> ? "Continuous" : "IntegerList";
            const bool integer = !std::is_same_v<T, double>;
            auto bound = [](double v) { return std::isfinite(v) ? json(v) : json(); };
            row["min"] = bound(integer ? std::max(f.lo, -kIntMagnitude) : f.lo);
            row["max"] = bound(std::min({f.hi, f.limit, integer ? kIntMagnitude : kInf}));
            row["min_open"] = f.lo_open;
            row["max_open"] = f.hi != kInf && f.hi <= f.limit && f.hi_open;
          }
        },
        f.member);
    if (f.member.index() == 0 && !f.choices.empty()) {  // an integer with a list of values (output_stride)
      row = {{"name", row["name"]}, {"required", f.required}, {"allowed", row["allowed"]}, {"default", row["default"]},
             {"type", "Categorical"}, {"values", f.choices}};
    }
    table.push_back(row);
  }
  return table;
}

std::string hyperparameters_problem(const json& object) {
  try {
    parse_hyperparameters(object, /*require_data_fields=*/false);
    return "";
  } catch (const UserError& e) {
    return e.what();
  }
}

}  // namespace segmaker::train
