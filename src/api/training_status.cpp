// The training job status machine (see training_status.h).
#include "api/training_status.h"

namespace segmaker::api {

using json = nlohmann::json;

std::string primary_status(const std::string& secondary) {
  if (secondary == "Completed" || secondary == "Failed" || secondary == "Stopping") return secondary;
  if (secondary == "Stopped" || secondary == "MaxRuntimeExceeded" || secondary == "MaxWaitTimeExceeded") return "Stopped";
  return "InProgress";  // Starting, Downloading, Training, Uploading, Interrupted
}

bool is_terminal_training_status(const std::string& primary) {
  return primary == "Completed" || primary == "Failed" || primary == "Stopped";
}

void enter_secondary_status(json& doc, const std::string& secondary, const std::string& message, double now) {
  json& transitions = doc["SecondaryStatusTransitions"];
  if (!transitions.is_array()) transitions = json::array();
  if (!transitions.empty() && !transitions.back().contains("EndTime")) transitions.back()["EndTime"] = now;
  json entry = {{"Status", secondary}, {"StartTime", now}, {"StatusMessage", message}};
  std::string primary = primary_status(secondary);
  // A stopped job uploads what it has while it is still Stopping.
  if (secondary == "Uploading" && doc.value("TrainingJobStatus", "") == "Stopping") primary = "Stopping";
  if (is_terminal_training_status(primary)) entry["EndTime"] = now;
  transitions.push_back(entry);
  doc["SecondaryStatus"] = secondary;
  doc["TrainingJobStatus"] = primary;
  doc["LastModifiedTime"] = now;
  if (secondary == "Training" && !doc.contains("TrainingStartTime")) doc["TrainingStartTime"] = now;
  if (is_terminal_training_status(primary)) {
    doc["TrainingEndTime"] = now;
    const double start = doc.value("TrainingStartTime", now);
    doc["TrainingTimeInSeconds"] = static_cast<long long>(now - start + 0.5);
    doc["BillableTimeInSeconds"] = doc["TrainingTimeInSeconds"];
  }
}

void fail_training_job(json& doc, const std::string& reason, double now) {
  doc["FailureReason"] = reason.substr(0, 1024);
  enter_secondary_status(doc, "Failed", reason.substr(0, 1024), now);
}

}  // namespace segmaker::api
