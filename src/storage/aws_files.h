#pragma once
// Reading the AWS CLI's shared files (~/.aws/credentials and ~/.aws/config, or the files named by
// AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE): INI sections of `name = value` lines. Torch-free.
#include <filesystem>
#include <map>
#include <string>

namespace segmaker::storage {

// The settings of one profile: the credentials file's [name] section merged over the config file's
// [profile name] section ([default] in both for "default"). Names are lower-cased. Missing files or
// profiles give an empty map.
std::map<std::string, std::string> read_aws_profile(const std::string& profile);

// The sections of one INI file (exposed for tests): section name -> (lower-cased key -> value).
std::map<std::string, std::map<std::string, std::string>> read_ini(const std::filesystem::path& file);

}  // namespace segmaker::storage
