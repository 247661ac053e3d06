// The hyperparameter table as the API reads it (see hyperparameter_catalog.h).
#include "api/hyperparameter_catalog.h"

#include <algorithm>
#include <cmath>

#include "api/child_process.h"
#include "io/error.h"
#include "io/paths.h"
#include "io/temp_dir.h"

namespace segmaker::api {

using json = nlohmann::json;

namespace {

std::optional<double> bound(const json& row, const char* key) {
  if (!row.contains(key) || row[key].is_null()) return std::nullopt;
  return row[key].get<double>();
}

bool inside(const HyperparameterInfo& h, double x) {
  if (h.min && (h.min_open ? x <= *h.min : x < *h.min)) return false;
  if (h.max && (h.max_open ? x >= *h.max : x > *h.max)) return false;
  return true;
}

std::string number(double x) {
  std::string s = std::to_string(x);
  s.erase(s.find_last_not_of('0') + 1);
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

}  // namespace

std::vector<HyperparameterInfo> parse_hyperparameter_table(const json& table) {
  if (!table.is_array()) throw UserError("the hyperparameter table is not a JSON array");
  std::vector<HyperparameterInfo> rows;
  try {
    for (const auto& r : table) {
      HyperparameterInfo h;
      h.name = r.at("name").get<std::string>();
      h.type = r.at("type").get<std::string>();
      h.min = bound(r, "min");
      h.max = bound(r, "max");
      h.min_open = r.value("min_open", false);
      h.max_open = r.value("max_open", false);
      if (r.contains("values")) h.values = r["values"].get<std::vector<std::string>>();
      h.allowed = r.value("allowed", "");
      h.default_value = r.value("default", json());
      rows.push_back(std::move(h));
    }
  } catch (const json::exception& e) {
    throw UserError(std::string("the hyperparameter table has an unexpected row: ") + e.what());
  }
  return rows;
}

HyperparameterCatalog::HyperparameterCatalog(std::filesystem::path executable) : executable_(std::move(executable)) {}

HyperparameterCatalog::HyperparameterCatalog(const json& table, Checker checker)
    : checker_(std::move(checker)), table_(parse_hyperparameter_table(table)) {}

namespace {

// `executable hyperparameters <args>`'s standard output, parsed. Throws UserError.
json ask_executable(const std::filesystem::path& executable, std::vector<std::string> args, const io::TempDir& tmp) {
  args.insert(args.begin(), "hyperparameters");
  const auto out = tmp.path() / "answer.json";
  ChildProcess child(ChildSpec{executable, args, {}, out});
  WaitHooks hooks;
  hooks.poll_interval = std::chrono::milliseconds(20);
  hooks.stop_requested = [] { return false; };
  const int status = child.wait(hooks);
  const std::string text = io::read_file(out);
  const std::string command = "`" + executable.string() + " hyperparameters " + args.at(1) + "`";
  if (status != 0) throw UserError(command + " exited with status " + std::to_string(status) + ": " + text.substr(0, 500));
  const json answer = json::parse(text, nullptr, false);
  if (answer.is_discarded()) throw UserError(command + " printed no JSON: " + text.substr(0, 200));
  return answer;
}

}  // namespace

void HyperparameterCatalog::load() const {
  if (table_) return;
  io::TempDir tmp("segmaker-hyperparameters");
  table_ = parse_hyperparameter_table(ask_executable(executable_, {"--json"}, tmp));
}

std::vector<std::string> HyperparameterCatalog::problems(const json& sets) const {
  std::vector<std::string> out;
  if (checker_ || executable_.empty()) {
    for (const auto& set : sets) out.push_back(checker_ ? checker_(set) : "");
    return out;
  }
  io::TempDir tmp("segmaker-hyperparameters");
  io::write_file_atomic(tmp.path() / "sets.json", sets.dump());
  const json answer = ask_executable(executable_, {"--check", (tmp.path() / "sets.json").string()}, tmp);
  if (!answer.is_array() || answer.size() != sets.size())
    throw UserError("`" + executable_.string() + " hyperparameters --check` answered " + answer.dump().substr(0, 200));
  for (const auto& problem : answer) out.push_back(problem.is_string() ? problem.get<std::string>() : problem.dump());
  return out;
}

std::optional<HyperparameterInfo> HyperparameterCatalog::find(const std::string& name) const {
  std::lock_guard lock(mutex_);
  load();
  for (const auto& h : *table_)
    if (h.name == name) return h;
  return std::nullopt;
}

std::string HyperparameterCatalog::range_problem(const tuning::ParameterRange& r) const {
  const auto h = find(r.name);
  if (!h) return "'" + r.name + "' is not a hyperparameter of the algorithm (segmaker hyperparameters lists them)";
  const std::string what = "the hyperparameter " + r.name + " is " + h->allowed;
  if (r.kind == tuning::RangeKind::Categorical) {
    if (h->type == "IntegerList") return what + ": it cannot be tuned";
    for (const auto& v : r.values) {
      if (h->type == "Categorical") {
        if (std::find(h->values.begin(), h->values.end(), v) == h->values.end())
          return "the value '" + v + "' of categorical range " + r.name + " is not allowed: " + what;
        continue;
      }
      const auto x = tuning::parse_number(v);
      if (!x || !inside(*h, *x) || (h->type == "Integer" && *x != std::floor(*x)))
        return "the value '" + v + "' of categorical range " + r.name + " is not allowed: " + what;
    }
    return "";
  }
  if (h->type == "Categorical" || h->type == "IntegerList")
    return what + ": give its values as a CategoricalParameterRange";
  if (r.kind == tuning::RangeKind::Continuous && h->type == "Integer")
    return what + ": tune it with an IntegerParameterRange";
  for (double x : {r.min, r.max})
    if (!inside(*h, x)) return "the range [" + number(r.min) + ", " + number(r.max) + "] of " + r.name + " goes outside what it allows: " + what;
  return "";
}

}  // namespace segmaker::api
