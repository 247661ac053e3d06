// ARNs, timestamps and URI checks shared by the operations (see names.h).
#include "api/names.h"

#include <cctype>
#include <chrono>

#include "api/validation.h"
#include "storage/storage.h"

namespace segmaker::api {

std::string make_arn(const std::string& region, const std::string& account, const std::string& type,
                     const std::string& name) {
  std::string lower = name;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return "arn:aws:sagemaker:" + region + ":" + account + ":" + type + "/" + lower;
}

double now_seconds() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count() / 1e6;
}

bool check_uri(Validator& v, const std::string& value, const std::string& path, const storage::LocalAccess& local) {
  static const StringRule s3 = StringRule::matching(1, 1024, "^(https|s3)://([^/]+)/?(.*)$");
  if (value.size() > 1024) return v.check(value, path, s3);
  if (value.rfind("s3://", 0) == 0) return v.check(value, path, s3);
  if (value.rfind("https://", 0) == 0) {
    v.fail(quote_value(value), path,
           "segmaker api reads and writes S3 through s3:// URIs: write s3://<bucket>/<key> instead of an https:// URL");
    return false;
  }
  if (value.rfind("file:///", 0) == 0 || (!value.empty() && value[0] == '/')) {
    std::string refusal;
    try {
      refusal = local.refusal(storage::parse_location(value).local);
    } catch (const std::exception& e) {  // a malformed file:// URI (bad percent-encoding)
      refusal = e.what();
    }
    if (refusal.empty()) return true;
    v.fail(quote_value(value), path, refusal);
    return false;
  }
  v.fail(quote_value(value), path,
         "Member must satisfy regular expression pattern: ^(https|s3)://([^/]+)/?(.*)$ (segmaker also accepts "
         "file:///absolute/path and absolute local paths)");
  return false;
}

std::string as_folder_uri(const std::string& uri) { return uri.empty() || uri.back() == '/' ? uri : uri + "/"; }

std::string join_uri(const std::string& prefix, const std::string& relative) {
  if (prefix.empty()) return relative;
  return prefix.back() == '/' ? prefix + relative : prefix + "/" + relative;
}

}  // namespace segmaker::api
