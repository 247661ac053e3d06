// Locations (local, file://, s3://, and every malformed or unknown form) and where the storage
// configuration comes from (flags, AWS_* variables, ~/.aws files).
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>

#include "io/error.h"
#include "storage/aws_files.h"
#include "storage/s3_http.h"
#include "storage/storage.h"
#include "support/test_util.h"

namespace fs = std::filesystem;

namespace segmaker::storage {
namespace {

using test::message_of;

TEST(Location, LocalPathsAndFileUris) {
  auto a = parse_location("data/train");
  EXPECT_FALSE(a.is_s3());
  EXPECT_EQ(a.local, fs::path("data/train"));
  auto b = parse_location("file:///tmp/my%20pets/x");
  EXPECT_FALSE(b.is_s3());
  EXPECT_EQ(b.local, fs::path("/tmp/my pets/x"));
  EXPECT_EQ(parse_location("file://localhost/srv/data").local, fs::path("/srv/data"));
  // A colon in a file name is a legal local path, not a scheme.
  EXPECT_FALSE(parse_location("run:1").is_s3());
  EXPECT_FALSE(is_remote("data"));
  EXPECT_TRUE(is_remote("s3://pets/data"));
}

TEST(Location, S3Uris) {
  auto l = parse_location("s3://pets/data/train/");
  EXPECT_TRUE(l.is_s3());
  EXPECT_EQ(l.bucket, "pets");
  EXPECT_EQ(l.key, "data/train/");
  EXPECT_EQ(l.uri(), "s3://pets/data/train/");
  EXPECT_EQ(l.child("a b.jpg").key, "data/train/a b.jpg");
  auto bucket_only = parse_location("s3://pets");
  EXPECT_EQ(bucket_only.key, "");
  EXPECT_EQ(bucket_only.child("x/y").key, "x/y");
  EXPECT_EQ(parse_location("s3://pets/model").child("model.tar.gz").key, "model/model.tar.gz");
  EXPECT_EQ(parse_location("data").child("train/x.jpg").local, fs::path("data/train/x.jpg"));
}

TEST(Location, UnknownSchemesAndMalformedUrisAreUserErrors) {
  auto error = [](const std::string& uri) { return message_of<UserError>([&] { parse_location(uri); }); };
  EXPECT_NE(error("gs://pets/data").find("unsupported storage scheme 'gs'"), std::string::npos) << error("gs://pets");
  EXPECT_NE(error("gs://pets/data").find("s3://bucket/key"), std::string::npos);
  EXPECT_NE(error("http://example.com/x").find("'http'"), std::string::npos);
  // The typos that used to create a local folder named "s3:".
  EXPECT_NE(error("s3:/pets/data").find("malformed URI 's3:/pets/data'"), std::string::npos) << error("s3:/pets/data");
  EXPECT_NE(error("s3:pets").find("malformed"), std::string::npos);
  EXPECT_NE(error("s3://").find("the bucket is missing"), std::string::npos);
  EXPECT_NE(error("s3:///data").find("the bucket is missing"), std::string::npos);
  EXPECT_NE(error("s3://My_Bucket/x").find("not a valid bucket name"), std::string::npos);
  EXPECT_NE(error("s3://ab/x").find("3 to 63"), std::string::npos);
  EXPECT_NE(error("s3://pets//x").find("the key starts with '/'"), std::string::npos);
  EXPECT_NE(error("file://data/x").find("three slashes"), std::string::npos);
  EXPECT_NE(error("file:///a%zz").find("two hex digits"), std::string::npos);
  EXPECT_NE(error("").find("empty path"), std::string::npos);
}

TEST(S3Url, KeysAndQueriesAreEncodedAndSorted) {
  EXPECT_EQ(uri_encode("a b/c+d=e~f.g_h-i"), "a%20b%2Fc%2Bd%3De~f.g_h-i");
  EXPECT_EQ(encode_key_path("data/train/my cat+1.jpg"), "data/train/my%20cat%2B1.jpg");
  EXPECT_EQ(encode_key_path("ünï/ç"), "%C3%BCn%C3%AF/%C3%A7");
  EXPECT_EQ(canonical_query({{"prefix", "ss/train/"}, {"list-type", "2"}, {"continuation-token", "a+b/c="}}),
            "continuation-token=a%2Bb%2Fc%3D&list-type=2&prefix=ss%2Ftrain%2F");
  EXPECT_EQ(canonical_query({{"uploads", ""}}), "uploads=");

  StorageConfig c;
  c.endpoint = "http://127.0.0.1:4568";
  c.region = "us-east-1";
  S3Http path_style(c);
  EXPECT_EQ(path_style.url({"GetObject", "GET", "pets", "a b.jpg"}), "http://127.0.0.1:4568/pets/a%20b.jpg");
  EXPECT_EQ(path_style.url({"ListObjectsV2", "GET", "pets", "", {{"prefix", "x/"}, {"list-type", "2"}}}),
            "http://127.0.0.1:4568/pets?list-type=2&prefix=x%2F");
  c.endpoint = "";
  c.region = "eu-west-1";
  c.virtual_host_style = true;
  S3Http virtual_host(c);
  EXPECT_EQ(virtual_host.url({"GetObject", "GET", "pets", "k"}), "https://pets.s3.eu-west-1.amazonaws.com/k");
}

// Sets environment variables for one test and restores them afterwards.
class ScopedEnv {
 public:
  void set(const std::string& name, const std::optional<std::string>& value) {
    if (!saved_.count(name)) {
      const char* old = std::getenv(name.c_str());
      saved_[name] = old ? std::optional<std::string>(old) : std::nullopt;
    }
    if (value) ::setenv(name.c_str(), value->c_str(), 1);
    else ::unsetenv(name.c_str());
  }
  ~ScopedEnv() {
    for (const auto& [name, value] : saved_) {
      if (value) ::setenv(name.c_str(), value->c_str(), 1);
      else ::unsetenv(name.c_str());
    }
  }

 private:
  std::map<std::string, std::optional<std::string>> saved_;
};

void clear_aws_env(ScopedEnv& env, const fs::path& home) {
  for (const char* name : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION",
                           "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL",
                           "AWS_ENDPOINT_URL_S3", "AWS_MAX_ATTEMPTS", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"})
    env.set(name, std::nullopt);
  env.set("HOME", home.string());
}

TEST(StorageConfig, FromAwsFilesAndProfiles) {
  test::TempDir home;
  ScopedEnv env;
  clear_aws_env(env, home.path());
  fs::create_directories(home / ".aws");
  std::ofstream(home / ".aws" / "credentials") << "[default]\naws_access_key_id = AKIDEFAULT\n"
                                                  "aws_secret_access_key = secret-default\n\n"
                                                  "# a comment\n[minio]\naws_access_key_id=AKIMINIO\n"
                                                  "aws_secret_access_key=secret-minio\naws_session_token = tok\n";
  std::ofstream(home / ".aws" / "config") << "[default]\nregion = eu-central-1\n"
                                             "[profile minio]\nregion = us-west-2\nendpoint_url = http://minio:9000/\n"
                                             "s3 =\n  addressing_style = virtual\nregion_after_block = x\n";
  auto c = StorageConfig::from_environment();
  EXPECT_EQ(c.access_key_id, "AKIDEFAULT");
  EXPECT_EQ(c.secret_access_key, "secret-default");
  EXPECT_EQ(c.region, "eu-central-1");
  EXPECT_EQ(c.endpoint, "");
  EXPECT_EQ(c.max_attempts, 5);

  env.set("AWS_PROFILE", "minio");
  c = StorageConfig::from_environment();
  EXPECT_EQ(c.access_key_id, "AKIMINIO");
  EXPECT_EQ(c.session_token, "tok");
  EXPECT_EQ(c.region, "us-west-2");
  EXPECT_EQ(c.endpoint, "http://minio:9000");
  EXPECT_TRUE(c.virtual_host_style);  // the nested `s3 =` block of ~/.aws/config
  EXPECT_EQ(read_aws_profile("minio").at("region_after_block"), "x");

  // Variables beat the files; explicit values (flags) beat the variables.
  env.set("AWS_ACCESS_KEY_ID", "AKIENV");
  env.set("AWS_SECRET_ACCESS_KEY", "secret-env");
  env.set("AWS_REGION", "ap-south-1");
  env.set("AWS_ENDPOINT_URL", "http://127.0.0.1:1");
  env.set("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:2");
  env.set("AWS_MAX_ATTEMPTS", "2");
  c = StorageConfig::from_environment();
  EXPECT_EQ(c.access_key_id, "AKIENV");
  EXPECT_EQ(c.session_token, "");  // the pair came from the environment, so does the token
  EXPECT_EQ(c.region, "ap-south-1");
  EXPECT_EQ(c.endpoint, "http://127.0.0.1:2");
  EXPECT_EQ(c.max_attempts, 2);
  StorageConfig flags;
  flags.endpoint = "https://s3.example.com";
  EXPECT_EQ(StorageConfig::from_environment(flags).endpoint, "https://s3.example.com");
}

TEST(StorageConfig, BadSettingsAreUserErrorsWhenS3IsUsed) {
  test::TempDir home;
  ScopedEnv env;
  clear_aws_env(env, home.path());
  // Only S3 access fails: a broken ~/.aws must not stop commands on local paths.
  auto problem_of = [](const StorageConfig& flags) {
    const auto c = StorageConfig::from_environment(flags);
    EXPECT_NO_THROW(open_storage(parse_location("data"), c));
    return message_of<UserError>([&] { open_storage(parse_location("s3://pets/data"), c); });
  };
  env.set("AWS_PROFILE", "nope");
  EXPECT_NE(problem_of({}).find("profile 'nope' was not found"), std::string::npos) << problem_of({});
  env.set("AWS_PROFILE", std::nullopt);
  StorageConfig flags;
  flags.endpoint = "127.0.0.1:4568";
  EXPECT_NE(problem_of(flags).find("http:// or https://"), std::string::npos);
  env.set("AWS_ACCESS_KEY_ID", "AKIONLY");
  EXPECT_NE(problem_of({}).find("has no secret"), std::string::npos);
  env.set("AWS_ACCESS_KEY_ID", std::nullopt);
  env.set("AWS_MAX_ATTEMPTS", "many");
  EXPECT_NE(problem_of({}).find("AWS_MAX_ATTEMPTS"), std::string::npos);
  env.set("AWS_MAX_ATTEMPTS", std::nullopt);
  // No credentials anywhere: anonymous requests (public buckets), not an error.
  EXPECT_EQ(StorageConfig::from_environment().access_key_id, "");
  EXPECT_EQ(problem_of({}), "(no error)");
}

}  // namespace
}  // namespace segmaker::storage
