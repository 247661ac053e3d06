// StorageConfig from the places AWS users already keep it: explicit values (flags) first, then the
// environment (AWS_*), then the profile in ~/.aws/{credentials,config}, then defaults.
#include <algorithm>
#include <cstdlib>
#include <map>
#include <string>

#include "io/error.h"
#include "storage/aws_files.h"
#include "storage/storage.h"

namespace segmaker::storage {
namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

std::string first_of(std::initializer_list<std::string> values) {
  for (const auto& v : values)
    if (!v.empty()) return v;
  return "";
}

std::string setting(const std::map<std::string, std::string>& profile, const std::string& name) {
  auto it = profile.find(name);
  return it == profile.end() ? std::string() : it->second;
}

std::string endpoint_problem(const std::string& endpoint) {
  if (endpoint.empty() || endpoint.rfind("http://", 0) == 0 || endpoint.rfind("https://", 0) == 0) return "";
  return "S3 endpoint '" + endpoint +
         "' must start with http:// or https:// (for example http://127.0.0.1:4568 or "
         "https://minio.example.com:9000)";
}

}  // namespace

StorageConfig StorageConfig::from_environment(StorageConfig c) {
  c.profile = first_of({c.profile, env("AWS_PROFILE"), env("AWS_DEFAULT_PROFILE"), "default"});
  const auto profile = read_aws_profile(c.profile);
  if (c.profile != "default" && profile.empty() && env("AWS_ACCESS_KEY_ID").empty())
    c.problem = "AWS profile '" + c.profile +
                "' was not found in ~/.aws/credentials or ~/.aws/config (set AWS_PROFILE to an existing profile, "
                "or unset it)";

  // Keys come as a pair: a key id from one place and a secret from another would never match.
  if (c.access_key_id.empty() && c.secret_access_key.empty()) {
    if (!env("AWS_ACCESS_KEY_ID").empty()) {
      c.access_key_id = env("AWS_ACCESS_KEY_ID");
      c.secret_access_key = env("AWS_SECRET_ACCESS_KEY");
      c.session_token = first_of({c.session_token, env("AWS_SESSION_TOKEN")});
    } else {
      c.access_key_id = setting(profile, "aws_access_key_id");
      c.secret_access_key = setting(profile, "aws_secret_access_key");
      c.session_token = first_of({c.session_token, setting(profile, "aws_session_token")});
    }
  }
  if (!c.access_key_id.empty() && c.secret_access_key.empty() && c.problem.empty())
    c.problem = "AWS access key id '" + c.access_key_id +
                "' has no secret: set AWS_SECRET_ACCESS_KEY (or aws_secret_access_key in the profile)";

  c.region = first_of({c.region, env("AWS_REGION"), env("AWS_DEFAULT_REGION"), setting(profile, "region"), "us-east-1"});
  c.endpoint = first_of({c.endpoint, env("AWS_ENDPOINT_URL_S3"), env("AWS_ENDPOINT_URL"),
                         setting(profile, "s3.endpoint_url"), setting(profile, "endpoint_url")});
  if (setting(profile, "s3.addressing_style") == "virtual") c.virtual_host_style = true;
  if (c.problem.empty()) c.problem = endpoint_problem(c.endpoint);
  while (!c.endpoint.empty() && c.endpoint.back() == '/') c.endpoint.pop_back();

  if (c.max_attempts <= 0) {
    const std::string attempts = first_of({env("AWS_MAX_ATTEMPTS"), setting(profile, "max_attempts")});
    c.max_attempts = 5;
    if (!attempts.empty()) {
      try {
        c.max_attempts = std::max(1, std::stoi(attempts));
      } catch (const std::exception&) {
        if (c.problem.empty()) c.problem = "AWS_MAX_ATTEMPTS must be a whole number, got '" + attempts + "'";
      }
    }
  }
  return c;
}

StorageConfig StorageConfig::from_environment() { return from_environment(StorageConfig{}); }

}  // namespace segmaker::storage
