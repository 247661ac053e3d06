// CreateHyperParameterTuningJob: validation, the search, the document, the trials' requests
// (see tuning_job.h).
#include "api/tuning_job.h"

#include <cmath>
#include <cstdio>
#include <set>

#include "api/api_error.h"
#include "api/hyperparameter_catalog.h"
#include "api/names.h"
#include "api/store.h"
#include "api/training_job.h"
#include "api/validation.h"
#include "io/sha256.h"
#include "sagemaker/metrics.h"

namespace segmaker::api {

using json = nlohmann::json;

namespace {

constexpr const char* kConfigPath = "hyperParameterTuningJobConfig";

bool is_service_hyperparameter(const std::string& name) {
  return name.rfind('_', 0) == 0 || name.rfind("sagemaker_", 0) == 0;
}

std::optional<double> number_field(Validator& v, const json& o, const char* key, const std::string& path) {
  static const StringRule value_rule = StringRule::length(0, 256);
  const auto text = v.string(o, key, path, value_rule, true);
  if (!text) return std::nullopt;
  const auto x = tuning::parse_number(*text);
  if (!x) v.fail(quote_value(*text), path, "Member must be a number");
  return x;
}

// The ranges of one kind's list ("IntegerParameterRanges", …), checked one by one.
void read_ranges(Validator& v, const json& ranges, const char* key, tuning::RangeKind kind,
                 std::vector<tuning::ParameterRange>& out) {
  static const StringRule name_rule = StringRule::matching(1, 256, ".*");
  static const StringRule scaling = StringRule::one_of({"Auto", "Linear", "Logarithmic", "ReverseLogarithmic"});
  static const StringRule value_rule = StringRule::length(1, 256);
  std::string list_path = std::string(kConfigPath) + ".parameterRanges." + key;
  list_path[list_path.size() - std::string(key).size()] = static_cast<char>(std::tolower(key[0]));
  const json* list = v.array(ranges, key, list_path, false, 0, 30);
  if (!list) return;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const json& item = (*list)[i];
    const std::string path = member_path(list_path, i);
    if (!item.is_object()) {
      v.fail(item.dump().substr(0, 100), path, "Member must be a structure");
      continue;
    }
    tuning::ParameterRange r;
    r.kind = kind;
    const auto name = v.string(item, "Name", path + ".name", name_rule, true);
    if (!name) continue;
    r.name = *name;
    if (kind == tuning::RangeKind::Categorical) {
      const json* values = v.array(item, "Values", path + ".values", true, 1, 30);
      if (!values) continue;
      for (std::size_t j = 0; j < values->size(); ++j) {
        if ((*values)[j].is_string() && v.check((*values)[j].get<std::string>(), member_path(path + ".values", j), value_rule))
          r.values.push_back((*values)[j].get<std::string>());
        else if (!(*values)[j].is_string())
          v.fail((*values)[j].dump().substr(0, 100), member_path(path + ".values", j), "Member must be a string");
      }
      if (r.values.size() != values->size()) continue;
    } else {
      const auto lo = number_field(v, item, "MinValue", path + ".minValue");
      const auto hi = number_field(v, item, "MaxValue", path + ".maxValue");
      const auto s = v.string(item, "ScalingType", path + ".scalingType", scaling, false);
      if (!lo || !hi) continue;
      r.min = *lo;
      r.max = *hi;
      if (s) r.scaling = tuning::parse_scaling(*s);
    }
    if (const std::string problem = tuning::range_problem(r); !problem.empty()) {
      v.fail(quote_value(r.name), path, problem);
      continue;
    }
    out.push_back(std::move(r));
  }
}

std::vector<tuning::ParameterRange> ranges_of(Validator& v, const json& ranges) {
  std::vector<tuning::ParameterRange> out;
  read_ranges(v, ranges, "IntegerParameterRanges", tuning::RangeKind::Integer, out);
  read_ranges(v, ranges, "ContinuousParameterRanges", tuning::RangeKind::Continuous, out);
  read_ranges(v, ranges, "CategoricalParameterRanges", tuning::RangeKind::Categorical, out);
  return out;
}

void validate_objective(Validator& v, const json& config) {
  static const StringRule types = StringRule::one_of({"Maximize", "Minimize"});
  static const StringRule metric_rule = StringRule::length(1, 255);
  const std::string path = std::string(kConfigPath) + ".hyperParameterTuningJobObjective";
  const json* o = v.object(config, "HyperParameterTuningJobObjective", path, true);
  if (!o) return;
  v.string(*o, "Type", path + ".type", types, true);
  const auto metric = v.string(*o, "MetricName", path + ".metricName", metric_rule, true);
  if (!metric) return;
  std::string known;
  for (const auto& d : sagemaker::algorithm_metric_definitions()) {
    if (d.name == *metric) return;
    known += (known.empty() ? "" : ", ") + d.name;
  }
  v.fail(quote_value(*metric), path + ".metricName",
         "The objective metric must be one the algorithm emits: " + known + " (validation:mIOU and validation:pixel_accuracy are maximized)");
}

void validate_limits_and_strategy(Validator& v, const json& config, const std::optional<std::string>& strategy) {
  const std::string path = std::string(kConfigPath) + ".resourceLimits";
  const bool grid = strategy && *strategy == "Grid";
  if (const json* limits = v.object(config, "ResourceLimits", path, true)) {
    const auto jobs = v.integer(*limits, "MaxNumberOfTrainingJobs", path + ".maxNumberOfTrainingJobs", IntRule{1, 10000}, !grid);
    const auto parallel = v.integer(*limits, "MaxParallelTrainingJobs", path + ".maxParallelTrainingJobs", IntRule{1, 100}, true);
    v.integer(*limits, "MaxRuntimeInSeconds", path + ".maxRuntimeInSeconds", IntRule{120, 15768000}, false);
    if (jobs && parallel && *parallel > *jobs)
      v.fail(std::to_string(*parallel), path + ".maxParallelTrainingJobs",
             "MaxParallelTrainingJobs must be less than or equal to MaxNumberOfTrainingJobs (" + std::to_string(*jobs) + ")");
  }
  static const StringRule early = StringRule::one_of({"Off", "Auto"});
  const auto stopping = v.string(config, "TrainingJobEarlyStoppingType", std::string(kConfigPath) + ".trainingJobEarlyStoppingType", early, false);
  const bool hyperband = strategy && *strategy == "Hyperband";
  if (hyperband && stopping && *stopping == "Auto")
    v.fail("'Auto'", std::string(kConfigPath) + ".trainingJobEarlyStoppingType",
           "The Hyperband strategy stops trials early itself: TrainingJobEarlyStoppingType must be Off");
  if (const json* sc = v.object(config, "StrategyConfig", std::string(kConfigPath) + ".strategyConfig", false)) {
    const std::string hb_path = std::string(kConfigPath) + ".strategyConfig.hyperbandStrategyConfig";
    const json* hb = v.object(*sc, "HyperbandStrategyConfig", hb_path, false);
    if (hb && !hyperband) v.fail("'HyperbandStrategyConfig'", hb_path, "HyperbandStrategyConfig applies to the Hyperband strategy only");
    if (hb) {
      const auto lo = v.integer(*hb, "MinResource", hb_path + ".minResource", IntRule{1, 10000}, false);
      const auto hi = v.integer(*hb, "MaxResource", hb_path + ".maxResource", IntRule{1, 10000}, false);
      if (lo && hi && *lo > *hi)
        v.fail(std::to_string(*lo), hb_path + ".minResource", "MinResource must be less than or equal to MaxResource (" + std::to_string(*hi) + ")");
    }
  }
  if (const json* cc = v.object(config, "TuningJobCompletionCriteria", std::string(kConfigPath) + ".tuningJobCompletionCriteria", false)) {
    const std::string cc_path = std::string(kConfigPath) + ".tuningJobCompletionCriteria";
    if (cc->contains("TargetObjectiveMetricValue") && !(*cc)["TargetObjectiveMetricValue"].is_number())
      v.fail((*cc)["TargetObjectiveMetricValue"].dump().substr(0, 100), cc_path + ".targetObjectiveMetricValue", "Member must be a number");
    if (const json* b = v.object(*cc, "BestObjectiveNotImproving", cc_path + ".bestObjectiveNotImproving", false))
      v.integer(*b, "MaxNumberOfTrainingJobsNotImproving", cc_path + ".bestObjectiveNotImproving.maxNumberOfTrainingJobsNotImproving",
                IntRule{3, {}}, false);
    if (const json* c = v.object(*cc, "ConvergenceDetected", cc_path + ".convergenceDetected", false))
      if (c->value("CompleteOnConvergence", "Disabled") != "Disabled")
        v.fail("'Enabled'", cc_path + ".convergenceDetected.completeOnConvergence",
               "segmaker api does not detect convergence: use BestObjectiveNotImproving or TargetObjectiveMetricValue");
  }
  v.integer(config, "RandomSeed", std::string(kConfigPath) + ".randomSeed", IntRule{0, {}}, false);
}

// The definition as one trial's CreateTrainingJob, checked with CreateTrainingJob's own rules.
void validate_definition(Validator& v, const json& request, const std::vector<tuning::ParameterRange>& ranges,
                         const storage::LocalAccess& local, const HyperparameterCatalog& catalog) {
  const json& def = request.at("TrainingJobDefinition");
  const json statics = def.value("StaticHyperParameters", json::object());
  if (!statics.is_object()) return v.fail("'…'", "trainingJobDefinition.staticHyperParameters", "Member must be a map");
  for (const auto& [key, value] : statics.items())
    if (!is_service_hyperparameter(key) && !catalog.find(key))
      v.fail(quote_value(key), "trainingJobDefinition.staticHyperParameters",
             "'" + key + "' is not a hyperparameter of the algorithm (segmaker hyperparameters lists them)");
  if (!def.contains("ResourceConfig") && !def.contains("HyperParameterTuningResourceConfig"))
    v.fail("null", "trainingJobDefinition.resourceConfig", "Give ResourceConfig or HyperParameterTuningResourceConfig");
  tuning::Assignment first;
  for (const auto& r : ranges) first[r.name] = tuning::assignment_at({r}, {0.0}).at(r.name);
  json doc = {{"HyperParameterTuningJobName", "t"}, {"HyperParameterTuningJobConfig", request.at("HyperParameterTuningJobConfig")},
              {"TrainingJobDefinition", def}};
  try {
    validate_create_training_job(trial_training_request(doc, "tuning-trial", first), local);
  } catch (const ApiError& e) {
    v.fail("'…'", "trainingJobDefinition", std::string("the trials would be refused: ") + e.what());
  }
  const std::string metric = request["HyperParameterTuningJobConfig"].value("HyperParameterTuningJobObjective", json::object()).value("MetricName", "");
  bool has_validation = false;
  for (const auto& c : def.value("InputDataConfig", json::array()))
    has_validation = has_validation || (c.is_object() && c.value("ChannelName", "") == "validation");
  if (metric.rfind("validation:", 0) == 0 && !has_validation)
    v.fail(quote_value(metric), "hyperParameterTuningJobConfig.hyperParameterTuningJobObjective.metricName",
           "The objective " + metric + " is computed on the validation channel: give the trials a 'validation' channel");
}

// The trials' hyperparameters at the corners of the space -- each range at each of its ends (every value of a
// categorical one) with the others all at their low or all at their high ends -- checked by the
// algorithm's own parser: a space whose trials it would refuse is refused now (interactions of two
// ranges, e.g. warmup_epochs against epochs, show at these corners).
void validate_trial_hyperparameters(Validator& v, const json& request, const std::vector<tuning::ParameterRange>& ranges,
                                    const HyperparameterCatalog& catalog) {
  const json& def = request.at("TrainingJobDefinition");
  json base = def.value("StaticHyperParameters", json::object());
  const json& config = request.at("HyperParameterTuningJobConfig");
  const json hb = config.value("StrategyConfig", json::object()).value("HyperbandStrategyConfig", json::object());
  if (config.value("Strategy", "") == "Hyperband" && hb.contains("MaxResource") && hb["MaxResource"].is_number_integer())
    base["epochs"] = std::to_string(hb["MaxResource"].get<long long>());
  json sets = json::array();
  std::set<std::string> seen;
  for (std::size_t i = 0; i < ranges.size(); ++i) {
    std::vector<double> ends = {0.0, 1.0};
    if (ranges[i].kind == tuning::RangeKind::Categorical) {
      ends.clear();
      for (std::size_t k = 0; k < ranges[i].values.size(); ++k) ends.push_back(tuning::to_unit(ranges[i], static_cast<double>(k)));
    }
    for (double end : ends)
      for (double others : {0.0, 1.0}) {
        std::vector<double> point(ranges.size(), others);
        point[i] = end;
        json set = base;
        for (const auto& [name, value] : tuning::assignment_at(ranges, point)) set[name] = value;
        if (seen.insert(set.dump()).second) sets.push_back(set);
      }
  }
  if (ranges.empty()) sets.push_back(base);
  const auto problems = catalog.problems(sets);
  for (std::size_t i = 0; i < problems.size(); ++i)
    if (!problems[i].empty()) {
      json tuned = json::object();
      for (const auto& r : ranges) tuned[r.name] = sets[i][r.name];
      return v.fail(quote_value(problems[i]), "trainingJobDefinition.staticHyperParameters",
                    "the trials' hyperparameters would be refused by the algorithm (e.g. with " + tuned.dump() + ")");
    }
}

void validate_warm_start(Validator& v, const json& request, const Store& store) {
  static const StringRule types = StringRule::one_of({"IdenticalDataAndAlgorithm", "TransferLearning"});
  static const StringRule name_rule = StringRule::matching(1, 32, "^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}");
  const json* w = v.object(request, "WarmStartConfig", "warmStartConfig", false);
  if (!w) return;
  v.string(*w, "WarmStartType", "warmStartConfig.warmStartType", types, true);
  const json* parents = v.array(*w, "ParentHyperParameterTuningJobs", "warmStartConfig.parentHyperParameterTuningJobs", true, 1, 5);
  if (!parents) return;
  for (std::size_t i = 0; i < parents->size(); ++i) {
    const std::string path = member_path("warmStartConfig.parentHyperParameterTuningJobs", i);
    const auto name = (*parents)[i].is_object()
                          ? v.string((*parents)[i], "HyperParameterTuningJobName", path + ".hyperParameterTuningJobName", name_rule, true)
                          : std::nullopt;
    if (!name) continue;
    const auto parent = store.get("HyperParameterTuningJob", *name);
    if (!parent) v.fail(quote_value(*name), path, "The parent tuning job does not exist");
    else if (parent->status == "InProgress" || parent->status == "Stopping")
      v.fail(quote_value(*name), path, "A parent tuning job must have ended (it is " + parent->status + ")");
  }
}

}  // namespace

void validate_create_tuning_job(const json& r, const storage::LocalAccess& local, const HyperparameterCatalog& catalog,
                                const Store& store) {
  static const StringRule name_rule = StringRule::matching(1, 32, "^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}");
  static const StringRule strategies = StringRule::one_of({"Bayesian", "Random", "Hyperband", "Grid"});
  Validator v;
  v.string(r, "HyperParameterTuningJobName", "hyperParameterTuningJobName", name_rule, true);
  if (r.contains("TrainingJobDefinitions"))
    v.fail("'[…]'", "trainingJobDefinitions", "segmaker api tunes one training job definition: give TrainingJobDefinition");
  const json* def = v.object(r, "TrainingJobDefinition", "trainingJobDefinition", true);
  const json* config = v.object(r, "HyperParameterTuningJobConfig", kConfigPath, true);
  std::vector<tuning::ParameterRange> ranges;
  if (config) {
    const auto strategy = v.string(*config, "Strategy", std::string(kConfigPath) + ".strategy", strategies, true);
    validate_objective(v, *config);
    validate_limits_and_strategy(v, *config, strategy);
    if (const json* pr = v.object(*config, "ParameterRanges", std::string(kConfigPath) + ".parameterRanges", false))
      ranges = ranges_of(v, *pr);
    std::set<std::string> names;
    const json statics = def && def->contains("StaticHyperParameters") ? (*def)["StaticHyperParameters"] : json::object();
    for (const auto& range : ranges) {
      const std::string path = std::string(kConfigPath) + ".parameterRanges";
      if (!names.insert(range.name).second) v.fail(quote_value(range.name), path, "A hyperparameter may have one range only");
      if (statics.is_object() && statics.contains(range.name))
        v.fail(quote_value(range.name), path, "'" + range.name + "' is both tuned and static: remove it from StaticHyperParameters");
      if (const std::string problem = catalog.range_problem(range); !problem.empty()) v.fail(quote_value(range.name), path, problem);
      if (strategy && *strategy == "Grid" && range.kind != tuning::RangeKind::Categorical)
        v.fail(quote_value(range.name), path, "The Grid strategy searches categorical ranges only: give '" + range.name +
                                                  "' as a CategoricalParameterRange");
    }
    if (ranges.empty() && strategy && *strategy == "Grid")
      v.fail("'{}'", std::string(kConfigPath) + ".parameterRanges", "The Grid strategy needs at least one categorical range");
  }
  validate_warm_start(v, r, store);
  v.throw_if_invalid();
  validate_definition(v, r, ranges, local, catalog);
  v.throw_if_invalid();
  validate_trial_hyperparameters(v, r, ranges, catalog);
  v.throw_if_invalid();
}

TuningSpec tuning_spec(const json& doc) {
  const json& c = doc.at("HyperParameterTuningJobConfig");
  TuningSpec s;
  s.strategy = tuning::parse_strategy(c.at("Strategy"));
  const json objective = c.value("HyperParameterTuningJobObjective", json::object());
  s.objective_metric = objective.value("MetricName", "validation:mIOU");
  s.maximize = objective.value("Type", "Maximize") == "Maximize";
  const json& limits = c.at("ResourceLimits");
  s.max_parallel = limits.at("MaxParallelTrainingJobs");
  s.max_jobs = limits.value("MaxNumberOfTrainingJobs", 0);
  if (limits.contains("MaxRuntimeInSeconds")) s.max_runtime_seconds = limits["MaxRuntimeInSeconds"].get<double>();
  Validator v;
  if (c.contains("ParameterRanges")) s.ranges = ranges_of(v, c["ParameterRanges"]);
  s.early_stopping = c.value("TrainingJobEarlyStoppingType", "Off") == "Auto";
  const json criteria = c.value("TuningJobCompletionCriteria", json::object());
  if (criteria.contains("TargetObjectiveMetricValue")) s.target_objective = criteria["TargetObjectiveMetricValue"].get<double>();
  if (criteria.contains("BestObjectiveNotImproving"))
    if (const json& b = criteria["BestObjectiveNotImproving"]; b.contains("MaxNumberOfTrainingJobsNotImproving"))
      s.max_not_improving = b["MaxNumberOfTrainingJobsNotImproving"].get<int>();
  s.hyperband.min_resource = doc.value("_MinResource", 1);
  s.hyperband.max_resource = doc.value("_MaxResource", 1);
  s.seed = doc.value("_Seed", std::uint64_t{0});
  if (doc.contains("WarmStartConfig"))
    for (const auto& p : doc["WarmStartConfig"].value("ParentHyperParameterTuningJobs", json::array()))
      s.warm_start_parents.push_back(p.value("HyperParameterTuningJobName", ""));
  if (s.strategy == tuning::Strategy::Grid) {
    const auto grid = tuning::make_grid_search(s.ranges)->capacity().value_or(0);
    s.max_jobs = s.max_jobs > 0 ? std::min<int>(s.max_jobs, static_cast<int>(grid)) : static_cast<int>(grid);
  }
  return s;
}

json new_tuning_job_document(const json& r, const std::string& arn, double now, int default_epochs) {
  json doc = json::object();
  for (const char* key : {"HyperParameterTuningJobName", "HyperParameterTuningJobConfig", "TrainingJobDefinition", "WarmStartConfig"})
    if (r.contains(key)) doc[key] = r[key];
  doc["HyperParameterTuningJobArn"] = arn;
  doc["HyperParameterTuningJobStatus"] = "InProgress";
  doc["CreationTime"] = now;
  doc["LastModifiedTime"] = now;
  doc["TrainingJobStatusCounters"] = {{"Completed", 0}, {"InProgress", 0}, {"RetryableError", 0}, {"NonRetryableError", 0}, {"Stopped", 0}};
  doc["ObjectiveStatusCounters"] = {{"Succeeded", 0}, {"Pending", 0}, {"Failed", 0}};
  const json& config = r.at("HyperParameterTuningJobConfig");
  const std::string hex = io::sha256_hex(arn);
  doc["_Seed"] = config.contains("RandomSeed") ? config["RandomSeed"].get<std::uint64_t>() : std::stoull(hex.substr(0, 12), nullptr, 16);
  const json hb = config.value("StrategyConfig", json::object()).value("HyperbandStrategyConfig", json::object());
  const json statics = r.at("TrainingJobDefinition").value("StaticHyperParameters", json::object());
  int epochs = default_epochs;
  if (statics.contains("epochs") && statics["epochs"].is_string()) {
    try {
      epochs = std::stoi(statics["epochs"].get<std::string>());
    } catch (const std::exception&) {
    }
  }
  doc["_MaxResource"] = hb.value("MaxResource", epochs);
  doc["_MinResource"] = hb.value("MinResource", 1);
  doc["_Trials"] = json::array();
  return doc;
}

std::string trial_name(const std::string& tuning_job, const std::string& tuning_arn, std::size_t index) {
  char number[8];
  std::snprintf(number, sizeof number, "%03zu", index + 1);
  return tuning_job + "-" + number + "-" + io::sha256_hex(tuning_arn + "/" + std::to_string(index)).substr(0, 8);
}

json trial_training_request(const json& doc, const std::string& name, const tuning::Assignment& tuned) {
  const json& def = doc.at("TrainingJobDefinition");
  json r = {{"TrainingJobName", name}};
  for (const char* key : {"AlgorithmSpecification", "RoleArn", "InputDataConfig", "OutputDataConfig", "ResourceConfig",
                          "StoppingCondition", "CheckpointConfig", "VpcConfig", "EnableNetworkIsolation",
                          "EnableInterContainerTrafficEncryption", "EnableManagedSpotTraining", "Environment", "RetryStrategy"})
    if (def.contains(key)) r[key] = def[key];
  if (!r.contains("ResourceConfig") && def.contains("HyperParameterTuningResourceConfig")) {
    const json& rc = def["HyperParameterTuningResourceConfig"];
    r["ResourceConfig"] = json::object();
    for (const char* key : {"InstanceType", "InstanceCount", "VolumeSizeInGB"})
      if (rc.contains(key)) r["ResourceConfig"][key] = rc[key];
    if (!r["ResourceConfig"].contains("InstanceCount")) r["ResourceConfig"]["InstanceCount"] = 1;
    if (!r["ResourceConfig"].contains("VolumeSizeInGB")) r["ResourceConfig"]["VolumeSizeInGB"] = 30;
  }
  if (r.contains("CheckpointConfig") && r["CheckpointConfig"].is_object() && r["CheckpointConfig"].contains("S3Uri") &&
      r["CheckpointConfig"]["S3Uri"].is_string())  // each trial its own checkpoints
    r["CheckpointConfig"]["S3Uri"] = join_uri(r["CheckpointConfig"]["S3Uri"].get<std::string>(), name);
  json hp = def.value("StaticHyperParameters", json::object());
  for (const auto& [key, value] : tuned) hp[key] = value;
  const json& config = doc.at("HyperParameterTuningJobConfig");
  hp["_tuning_objective_metric"] = config.value("HyperParameterTuningJobObjective", json::object()).value("MetricName", "");
  if (config.value("Strategy", "") == "Hyperband") hp["epochs"] = std::to_string(doc.value("_MaxResource", 1));
  r["HyperParameters"] = hp;
  return r;
}

}  // namespace segmaker::api
