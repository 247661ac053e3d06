// Interoperability with the real AWS CLI (Debian awscli, v2, called by full path: a pip v1 may shadow
// it on PATH): what segmaker uploads, `aws s3 sync` reads back byte for byte, and what `aws s3 sync`
// uploaded, segmaker downloads identically — multipart objects of both included.
#include <gtest/gtest.h>

#include "io/sha256.h"
#include "storage/transfer.h"
#include "support/s3rver.h"
#include "support/test_util.h"
#include "storage_test_util.h"

namespace segmaker::storage {
namespace {

constexpr const char* kAws = "/usr/bin/aws";

class AwsCliInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    SEGMAKER_REQUIRE_S3RVER();
    if (::access(kAws, X_OK) != 0) GTEST_SKIP() << kAws << " is not installed (scripts/install-deps installs awscli)";
    server_ = std::make_unique<test::S3rver>(std::vector<std::string>{"pets"});
    // A small tree with nested folders, awkward names and one object above both tools' multipart
    // thresholds (segmaker's lowered to 5 MiB here, the CLI's default is 8 MiB).
    test::write_text(dir_ / "src" / "train" / "Abyssinian_1.jpg", "jpeg-1");
    test::write_text(dir_ / "src" / "train_annotation" / "Abyssinian_1.png", "png-1");
    test::write_text(dir_ / "src" / "label_map" / "train_label_map.json", "{\"scale\": \"1\"}");
    test::write_text(dir_ / "src" / "odd names" / "a b+c=d (1).txt", "odd");
    test::write_random_file(dir_ / "src" / "model" / "model.tar.gz", 11u << 20, 9);
  }
  std::string aws(const std::string& args) {
    return server_->env_prefix() + "AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null " + kAws +
           " --endpoint-url " + server_->endpoint() + " " + args;
  }
  std::unique_ptr<test::S3rver> server_;
  test::TempDir dir_;
};

TEST_F(AwsCliInterop, WhatSegmakerUploadsTheCliSyncsBack) {
  StorageConfig config = server_->config();
  config.multipart_threshold = 5u << 20;
  config.part_size = 5u << 20;
  EXPECT_EQ(upload_folder(dir_ / "src", "s3://pets/from-segmaker", config).objects, 5u);
  std::string output;
  ASSERT_EQ(test::run_shell(aws("s3 sync s3://pets/from-segmaker '" + (dir_ / "cli").string() + "'"), &output), 0)
      << output;
  EXPECT_EQ(test::read_tree(dir_ / "cli"), test::read_tree(dir_ / "src"));
}

TEST_F(AwsCliInterop, WhatTheCliUploadsSegmakerDownloadsIdentically) {
  std::string output;
  ASSERT_EQ(test::run_shell(aws("s3 sync '" + (dir_ / "src").string() + "' s3://pets/from-cli"), &output), 0)
      << output;
  const auto summary = download_prefix("s3://pets/from-cli", dir_ / "segmaker", server_->config());
  EXPECT_EQ(summary.objects, 5u);
  EXPECT_EQ(test::read_tree(dir_ / "segmaker"), test::read_tree(dir_ / "src"));
  download_file("s3://pets/from-cli/model/model.tar.gz", dir_ / "one.tar.gz", server_->config());
  EXPECT_EQ(io::sha256_file_hex(dir_ / "one.tar.gz"), io::sha256_file_hex(dir_ / "src" / "model" / "model.tar.gz"));
}

}  // namespace
}  // namespace segmaker::storage
