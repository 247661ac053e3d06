// The seed notebook as written, with the real SageMaker Python SDK v2 (../shared/tools/sagemaker-sdk-v2)
// against `segmaker api` and s3rver: Session, default_bucket (from the SDK's config file), upload_data,
// image_uris.retrieve, Estimator with a role ARN, fit() with its defaults (it follows the job's CloudWatch
// log: the job's #quality_metric lines appear in its output), training_job_analytics.dataframe()
// (CloudWatch metrics in botocore 1.42's JSON 1.0), deploy, predict (PNG and RecordIO-protobuf), transformer().transform() with its
// defaults, delete_endpoint. scripts/notebook.py holds the cells (scripts/run-demo runs them too); any
// connection that is not to loopback fails it.
#include <gtest/gtest.h>

#include "api/clients_fixture.h"

namespace segmaker::test {
namespace {

fs::path sdk_dir() { return fs::path(SEGMAKER_TEST_DATA_DIR).parent_path() / "tools" / "sagemaker-sdk-v2"; }

TEST_F(Clients, TheNotebookWithTheSageMakerPythonSdk) {
  if (!bucket_->is_s3()) GTEST_SKIP() << "s3rver is not available here: the SDK's Session needs an S3 server";
  if (!fs::exists(sdk_dir() / "site" / "sagemaker")) GTEST_SKIP() << "no SageMaker Python SDK at " << sdk_dir();
  if (std::system("/usr/bin/python3 -c 'import importlib_metadata, pandas, yaml, omegaconf, schema' > /dev/null 2>&1") != 0)
    GTEST_SKIP() << "the SDK's Debian packages are missing (scripts/install-deps installs them)";
  const fs::path data = prepare_sample();
  const fs::path photo = io::list_files(data / "validation", {".jpg"}).front();
  // What a user outside SageMaker sets once: the SDK's config file names the default bucket
  // (written as the README shows, by `segmaker api sdk-config`).
  const std::string write_config = std::string(SEGMAKER_BINARY) + " api sdk-config --bucket pets --file '" +
                                   (dir_ / "sdk-config.yaml").string() + "' > /dev/null 2>&1";
  ASSERT_EQ(std::system(write_config.c_str()), 0);
  EXPECT_NE(std::system(write_config.c_str()), 0) << "an existing file is kept without --force";
  std::string env = bucket_->env_prefix();
  env += "AWS_ENDPOINT_URL='" + url_ + "' ";
  env += "AWS_ENDPOINT_URL_S3='" + bucket_->endpoint() + "' ";
  env += "SAGEMAKER_USER_CONFIG_OVERRIDE='" + (dir_ / "sdk-config.yaml").string() + "' ";
  env += "PYTHONPATH='" + (sdk_dir() / "site").string() + "' SAGEMAKER_SUPPRESS_V2_WARNING=1 PYTHONUNBUFFERED=1 ";
  fs::create_directories(dir_ / "notebook");
  // Small and quick: resnet-18 from scratch on 64-pixel crops, two epochs.
  io::write_file_atomic(dir_ / "hyperparameters.json",
                        R"({"backbone": "resnet-18", "algorithm": "fcn", "use_pretrained_model": "False", "crop_size": 64,
                            "base_size": 80, "num_classes": 3, "epochs": 2, "learning_rate": 0.001, "optimizer": "rmsprop",
                            "lr_scheduler": "poly", "mini_batch_size": 3, "validation_mini_batch_size": 3,
                            "early_stopping": false, "output_stride": 16, "data_workers": 1})");
  const fs::path out = dir_ / "notebook.out";
  const int rc = std::system((env + "timeout 1200 /usr/bin/python3 '" + std::string(SEGMAKER_SOURCE_DIR) +
                              "/scripts/notebook.py' '" + data.string() + "' '" + photo.string() + "' '" +
                              (dir_ / "notebook").string() + "' --hyperparameters '" + (dir_ / "hyperparameters.json").string() +
                              "' > '" + out.string() + "' 2>&1")
                                 .c_str());
  const std::string output = io::read_file(out);
  ASSERT_EQ(WEXITSTATUS(rc), 0) << output << log();
  EXPECT_NE(output.find("NOTEBOOK OK"), std::string::npos) << output;
  EXPECT_EQ(output.find("NON-LOOPBACK"), std::string::npos) << output;
  // fit() printed the job's log as it followed it: every epoch's metric lines, then the end.
  EXPECT_NE(output.find("#quality_metric: host=algo-1, epoch=1, validation mIOU <score>="), std::string::npos) << output;
  EXPECT_NE(output.find("#quality_metric: host=algo-1, epoch=2, validation mIOU <score>="), std::string::npos) << output;
  EXPECT_NE(output.find("Training job completed"), std::string::npos) << output;
  EXPECT_NE(output.find("ANALYTICS"), std::string::npos) << output;
  EXPECT_NE(output.find("PROTOBUF [1, 3, "), std::string::npos) << output;
  EXPECT_NE(output.find("\"metric_name\":\"validation:mIOU\""), std::string::npos) << output;
  EXPECT_NE(output.find("TRANSFORMED"), std::string::npos) << output;
  EXPECT_FALSE(cv::imread((dir_ / "notebook" / "mask.png").string(), cv::IMREAD_UNCHANGED).empty());
  EXPECT_FALSE(cv::imread((dir_ / "notebook" / "overlay.jpg").string()).empty());
}

}  // namespace
}  // namespace segmaker::test
