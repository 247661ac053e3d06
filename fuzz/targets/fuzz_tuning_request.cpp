// Fuzz target: CreateHyperParameterTuningJob's request (src/api/tuning_job, src/tuning). The input is
// the request body; it goes through parse_request_body and validate_create_tuning_job, checked
// against the algorithm's real hyperparameter table (train/hyperparameters.cpp) and an empty store.
// Invariants: only ApiError (ValidationException) escapes; a validated request never fails
// afterwards -- its document, its TuningSpec, its search strategy's first proposals (with and
// without finished trials) -- every proposed value lies in its range and belongs to it, and every
// trial's CreateTrainingJob request passes CreateTrainingJob's own validation (a tuning job never
// launches a trial the API would refuse) and its hyperparameters pass the algorithm's parser.
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "api/api_error.h"
#include "api/hyperparameter_catalog.h"
#include "api/request.h"
#include "api/store.h"
#include "api/training_job.h"
#include "api/tuning_job.h"
#include "io/error.h"
#include "train/hyperparameters.h"
#include "tuning/search_strategy.h"

namespace {

using json = nlohmann::json;
using namespace segmaker::api;
namespace fs = std::filesystem;

[[noreturn]] void broken(const std::string& what) {
  std::fprintf(stderr, "fuzz_tuning_request: invariant broken: %s\n", what.c_str());
  std::fflush(stderr);
  __builtin_trap();
}

const segmaker::storage::LocalAccess& local_access() {
  static const auto access = segmaker::storage::LocalAccess::only_under({"/tmp"}, "--allow-local-path");
  return access;
}

const HyperparameterCatalog& catalog() {
  static const HyperparameterCatalog c(segmaker::train::hyperparameter_table(), segmaker::train::hyperparameters_problem);
  return c;
}

Store& store() {
  static const fs::path dir = fs::path(fs::is_directory("/dev/shm") ? "/dev/shm" : "/tmp") /
                              ("segmaker-fuzz_tuning_request-" + std::to_string(::getpid()));
  static Store s((fs::create_directories(dir), dir / "api.db"));
  return s;
}

void check_proposal(const segmaker::tuning::Assignment& a, const TuningSpec& spec, const json& doc, std::size_t index) {
  for (const auto& r : spec.ranges) {
    const auto it = a.find(r.name);
    if (it == a.end()) broken("no value proposed for " + r.name);
    const double x = segmaker::tuning::parse_value(r, it->second);  // throws when it does not belong
    if (r.kind != segmaker::tuning::RangeKind::Categorical && !(x >= r.min * (1 - 1e-5) - 1e-12 && x <= r.max * (1 + 1e-5) + 1e-12))
      broken(r.name + " = " + it->second + " outside its range");
  }
  const json request = trial_training_request(doc, trial_name("fuzz", "arn", index), a);
  try {
    validate_create_training_job(request, local_access());
  } catch (const ApiError& e) {
    broken(std::string("a trial's CreateTrainingJob is refused: ") + e.what() + "\n" + request.dump());
  }
  if (const std::string problem = segmaker::train::hyperparameters_problem(request.at("HyperParameters")); !problem.empty())
    broken("a trial's hyperparameters are refused by the algorithm: " + problem + "\n" + request.dump());
}

void check_valid(const json& request) {
  const json doc = new_tuning_job_document(request, "arn:aws:sagemaker:us-east-1:000000000000:hyper-parameter-tuning-job/f", 1.0, 10);
  const TuningSpec spec = tuning_spec(doc);
  if (spec.max_jobs < 1 || spec.max_parallel < 1) broken("limits " + std::to_string(spec.max_jobs) + "/" + std::to_string(spec.max_parallel));
  if (spec.strategy == segmaker::tuning::Strategy::Hyperband) spec.hyperband.check();
  const auto strategy = segmaker::tuning::make_search_strategy(spec.strategy, spec.ranges, spec.seed);
  std::vector<segmaker::tuning::Evaluation> history;
  for (std::size_t i = 0; i < 3; ++i) {
    const auto a = strategy->propose(i, history);
    if (!a) break;
    check_proposal(*a, spec, doc, i);
    history.push_back({*a, i == 1 ? std::optional<double>() : std::optional<double>(0.1 * static_cast<double>(i))});
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  json request;
  try {
    request = parse_request_body(body);
  } catch (const ApiError&) {
    return 0;
  }
  bool valid = false;
  try {
    validate_create_tuning_job(request, local_access(), catalog(), store());
    valid = true;
  } catch (const ApiError& e) {
    if (e.type() != "ValidationException" || e.status() != 400) broken("error " + e.type() + " for bad input");
  }
  if (!valid) return 0;
  try {
    check_valid(request);
  } catch (const std::exception& e) {
    broken(std::string("a validated CreateHyperParameterTuningJob failed: ") + e.what() + "\n" + request.dump());
  }
  return 0;
}
