#include "sagemaker/sdk_config.h"

#include <cstdlib>
#include <regex>

#include "io/error.h"

namespace segmaker::sagemaker {

std::string sdk_config_yaml(const std::string& bucket) {
  // S3's rules for bucket names: 3-63 of a-z 0-9 . -, starting and ending with a letter or digit.
  static const std::regex valid("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
  if (!std::regex_match(bucket, valid))
    throw UserError("'" + bucket + "' is not an S3 bucket name (3-63 characters: a-z, 0-9, '.' and '-', "
                    "starting and ending with a letter or digit)");
  return "SchemaVersion: '1.0'\n"
         "SageMaker:\n"
         "  PythonSDK:\n"
         "    Modules:\n"
         "      TelemetryOptOut: true\n"
         "      Session:\n"
         "        DefaultS3Bucket: " + bucket + "\n";
}

std::filesystem::path default_sdk_config_path() {
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  const char* home = std::getenv("HOME");
  const std::filesystem::path base = xdg && *xdg ? xdg : std::filesystem::path(home && *home ? home : ".") / ".config";
  return base / "sagemaker" / "config.yaml";
}

}  // namespace segmaker::sagemaker
