#pragma once
// The status machine of a training job, as pure changes to its DescribeTrainingJob document:
//   SecondaryStatus  Starting → Downloading → Training → Uploading → Completed
//                    … → Failed (FailureReason) | Stopping → Stopped | MaxRuntimeExceeded
//                    Interrupted → Starting (the service stopped while the job ran; it resumes)
//   TrainingJobStatus follows: InProgress, Completed, Failed, Stopping, Stopped.
// Every change closes the previous SecondaryStatusTransitions entry (EndTime) and opens one.
#include <string>

#include <nlohmann/json.hpp>

namespace segmaker::api {

// The TrainingJobStatus a SecondaryStatus belongs to.
std::string primary_status(const std::string& secondary);
bool is_terminal_training_status(const std::string& primary);

// Enters `secondary` at `now` with `message`; sets TrainingStartTime (first Training),
// TrainingEndTime and the times in seconds (terminal statuses), LastModifiedTime.
void enter_secondary_status(nlohmann::json& document, const std::string& secondary, const std::string& message,
                            double now);

// Failed with a reason ("AlgorithmError: …", "ClientError: …").
void fail_training_job(nlohmann::json& document, const std::string& reason, double now);

}  // namespace segmaker::api
