#pragma once
// The SageMaker Python SDK's own config file (sagemaker.config: `SAGEMAKER_USER_CONFIG_OVERRIDE`, or
// ~/.config/sagemaker/config.yaml), as a notebook outside AWS needs it: the SDK pins its STS client
// to AWS's URL, so `Session().default_bucket()` can only find a bucket here, and TelemetryOptOut stops
// its telemetry GETs to an AWS bucket. `segmaker api sdk-config` writes it.
#include <filesystem>
#include <string>

namespace segmaker::sagemaker {

// The file's text: SchemaVersion 1.0, SageMaker.PythonSDK.Modules.{TelemetryOptOut: true,
// Session.DefaultS3Bucket: bucket}. A UserError names a bucket that breaks S3's naming rules.
std::string sdk_config_yaml(const std::string& bucket);

// Where the SDK reads its user config when SAGEMAKER_USER_CONFIG_OVERRIDE is unset
// ($XDG_CONFIG_HOME or ~/.config, then sagemaker/config.yaml).
std::filesystem::path default_sdk_config_path();

}  // namespace segmaker::sagemaker
