#pragma once
// A CreateTrainingJob request: its validation (SageMaker's field rules, and what this service can
// run: the built-in Semantic Segmentation image, S3Prefix channels) and the job folder it becomes,
// laid out as SageMaker's container sees /opt/ml, so that `segmaker train --sagemaker` does the work:
//   <job>/input/config/{hyperparameters,inputdataconfig,resourceconfig}.json, <job>/input/data/<channel>/,
//   <job>/model/, <job>/output/{data/,failure}, <job>/checkpoints/, <job>/log.txt
#include <filesystem>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "storage/local_access.h"

namespace segmaker::api {

// Throws ApiError ValidationException naming every field that is wrong (a local path outside the
// folders `local` admits among them).
void validate_create_training_job(const nlohmann::json& request, const storage::LocalAccess& local);

// True for the built-in algorithm's image in any region
// (811284229777.dkr.ecr.us-east-1.amazonaws.com/semantic-segmentation:1, …), the short alias
// "semantic-segmentation" and this project's own image ("segmaker", "segmaker:<tag>", "…/segmaker:<tag>").
bool is_supported_training_image(const std::string& image);

// The DescribeTrainingJob document of a new job (status InProgress / Starting).
nlohmann::json new_training_job_document(const nlohmann::json& request, const std::string& arn, double now);

// The channels a job streams in Pipe mode instead of downloading them first: those whose input mode
// (the channel's InputMode, else the algorithm's TrainingInputMode) is Pipe, in a one-instance job.
// Every other channel is downloaded before training (File mode; FastFile and multi-instance Pipe jobs
// too, which their log says).
std::set<std::string> piped_channels(const nlohmann::json& request);

// Writes the job's input/config files into the job folder: hyperparameters as strings; each channel's
// TrainingInputMode and S3DistributionType; hosts algo-1…algo-N for InstanceCount N. `one_machine`: the
// local scheduler's job folder, shared by its instances -- piped_channels() in Pipe mode, and a
// ShardedByS3Key channel written as FullyReplicated, the instances reading their shares of the one copy
// as they do by default. Otherwise (a cluster node's own copy) File mode and the channels' own types.
void write_container_config(const std::filesystem::path& job_dir, const nlohmann::json& request, bool one_machine = true);

}  // namespace segmaker::api
