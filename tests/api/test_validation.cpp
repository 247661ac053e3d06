// Request validation with SageMaker's wording, the request envelope's pure parsers, and the
// checks on images and URIs (no network).
#include <gtest/gtest.h>

#include "api/api_error.h"
#include "api/names.h"
#include "api/request.h"
#include "api/training_job.h"
#include "api/validation.h"
#include "support/test_util.h"

namespace segmaker::api {
namespace {

using json = nlohmann::json;

template <typename F>
ApiError error_of(F f) {
  try {
    f();
  } catch (const ApiError& e) {
    return e;
  }
  return ApiError(0, "(no error)", "");
}

TEST(Validation, OneViolationInSageMakersWords) {
  Validator v;
  v.string(json{{"TrainingJobName", "bad name"}}, "TrainingJobName", "trainingJobName", rules::kResourceName, true);
  const ApiError e = error_of([&] { v.throw_if_invalid(); });
  EXPECT_EQ(e.status(), 400);
  EXPECT_EQ(e.type(), "ValidationException");
  EXPECT_STREQ(e.what(),
               "1 validation error detected: Value 'bad name' at 'trainingJobName' failed to satisfy constraint: Member "
               "must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}");
}

TEST(Validation, ViolationsAreReportedTogether) {
  Validator v;
  const json r = {{"ResourceConfig", {{"InstanceType", "local"}, {"InstanceCount", 0}}}};
  v.string(r, "Missing", "missing", rules::kResourceName, true);
  v.string(r["ResourceConfig"], "InstanceType", "resourceConfig.instanceType", StringRule::one_of({"ml.m5.large", "ml.c5.xlarge"}), true);
  v.integer(r["ResourceConfig"], "InstanceCount", "resourceConfig.instanceCount", IntRule{1, 16}, true);
  const std::string m = error_of([&] { v.throw_if_invalid(); }).what();
  EXPECT_EQ(m.rfind("3 validation errors detected: ", 0), 0u) << m;
  EXPECT_NE(m.find("Value null at 'missing' failed to satisfy constraint: Member must not be null"), std::string::npos) << m;
  EXPECT_NE(m.find("Value 'local' at 'resourceConfig.instanceType' failed to satisfy constraint: Member must satisfy enum "
                   "value set: [ml.m5.large, ml.c5.xlarge]"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("Value '0' at 'resourceConfig.instanceCount' failed to satisfy constraint: Member must have value "
                   "greater than or equal to 1"),
            std::string::npos)
      << m;
}

TEST(Validation, LengthsTypesAndListMembers) {
  Validator v;
  v.string(json{{"Name", std::string(64, 'a')}}, "Name", "endpointName", rules::kResourceName, true);
  v.string(json{{"Name", 5}}, "Name", "modelName", rules::kModelName, true);
  v.integer(json{{"N", "3"}}, "N", "maxResults", IntRule{1, 100}, false);
  EXPECT_EQ(member_path("inputDataConfig", 1), "inputDataConfig.2.member");
  const std::string m = error_of([&] { v.throw_if_invalid(); }).what();
  EXPECT_NE(m.find("at 'endpointName' failed to satisfy constraint: Member must have length less than or equal to 63"),
            std::string::npos) << m;
  EXPECT_NE(m.find("at 'modelName' failed to satisfy constraint: Member must be a string"), std::string::npos) << m;
  EXPECT_NE(m.find("Value '3' at 'maxResults' failed to satisfy constraint: Member must be an integer"), std::string::npos) << m;
}

TEST(Validation, CreateTrainingJobNamesEveryBadField) {
  json r = {{"TrainingJobName", "-x"},
            {"AlgorithmSpecification", {{"TrainingImage", "382416733822.dkr.ecr.us-east-1.amazonaws.com/xgboost:1"},
                                        {"TrainingInputMode", "Stream"}}},
            {"RoleArn", "arn:aws:iam::1:role/x"},
            {"InputDataConfig", json::array({{{"ChannelName", "train"},
                                              {"DataSource", {{"S3DataSource", {{"S3DataType", "AugmentedManifestFile"},
                                                                                {"S3Uri", "https://bucket.s3.amazonaws.com/train"}}}}}}})},
            {"OutputDataConfig", {{"S3OutputPath", "relative/out"}}},
            {"ResourceConfig", {{"InstanceType", "ml.c5.xlarge"}, {"InstanceCount", 1}, {"VolumeSizeInGB", 1}}},
            {"StoppingCondition", {{"MaxRuntimeInSeconds", 0}}},
            {"HyperParameters", {{"epochs", 2}}}};
  const std::string m = error_of([&] { validate_create_training_job(r, storage::LocalAccess{}); }).what();
  for (const char* path : {"'trainingJobName'", "'algorithmSpecification.trainingImage'", "'algorithmSpecification.trainingInputMode'",
                           "'roleArn'", "'inputDataConfig.1.member.dataSource.s3DataSource.attributeNames'",
                           "'inputDataConfig.1.member.dataSource.s3DataSource.s3Uri'", "'outputDataConfig.s3OutputPath'",
                           "'stoppingCondition.maxRuntimeInSeconds'", "'hyperParameters.epochs'"})
    EXPECT_NE(m.find(path), std::string::npos) << path << " missing from: " << m;
  EXPECT_EQ(m.rfind("9 validation errors detected", 0), 0u) << m;
  EXPECT_NE(m.find("semantic-segmentation:1"), std::string::npos) << "the message says which image works: " << m;
}

TEST(Validation, SupportedImagesAndUris) {
  for (const char* ok : {"811284229777.dkr.ecr.us-east-1.amazonaws.com/semantic-segmentation:1",
                         "685385470294.dkr.ecr.eu-west-1.amazonaws.com/semantic-segmentation:latest",
                         "semantic-segmentation", "segmaker", "segmaker:0.1", "registry.local:5000/team/segmaker:v2"})
    EXPECT_TRUE(is_supported_training_image(ok)) << ok;
  for (const char* bad : {"", "xgboost", "811284229777.dkr.ecr.us-east-1.amazonaws.com/object-detection:1", "semantic-segmentation:1 "})
    EXPECT_FALSE(is_supported_training_image(bad)) << bad;
  for (const char* ok : {"s3://bucket/prefix/", "s3://bucket", "file:///data/train", "/data/train"}) {
    Validator v;
    EXPECT_TRUE(check_uri(v, ok, "s3Uri", storage::LocalAccess{})) << ok;
  }
  for (const char* bad : {"https://bucket.s3.amazonaws.com/x", "data/train", "gs://bucket/x", "s3://"}) {
    Validator v;
    EXPECT_FALSE(check_uri(v, bad, "s3Uri", storage::LocalAccess{})) << bad;
  }
  EXPECT_EQ(join_uri("s3://b/out/", "job/output/model.tar.gz"), "s3://b/out/job/output/model.tar.gz");
  EXPECT_EQ(join_uri("s3://b/out", "job"), "s3://b/out/job");
  EXPECT_EQ(as_folder_uri("s3://b/data/train"), "s3://b/data/train/");
  EXPECT_EQ(as_folder_uri("s3://b/data/train/"), "s3://b/data/train/");
  EXPECT_EQ(make_arn("us-east-1", "000000000000", "training-job", "My-Job"),
            "arn:aws:sagemaker:us-east-1:000000000000:training-job/my-job");
}

TEST(RequestEnvelope, OperationFromTarget) {
  EXPECT_EQ(operation_of("SageMaker.ListTrainingJobs"), "ListTrainingJobs");
  for (const char* bad : {"", "SageMaker.", "Kinesis.ListStreams", "SageMaker.List/Jobs", "sagemaker.ListTrainingJobs"}) {
    const ApiError e = error_of([&] { operation_of(bad); });
    EXPECT_EQ(e.type(), "UnknownOperationException") << bad;
    EXPECT_EQ(e.status(), 400) << bad;
  }
}

TEST(RequestEnvelope, BodyMustBeAJsonObject) {
  EXPECT_EQ(parse_request_body(""), json::object());
  EXPECT_EQ(parse_request_body(" {\"A\": 1} ")["A"], 1);
  for (const std::string bad : {std::string("{"), std::string("[1, 2]"), std::string("\"text\""), std::string("{\"a\":}"),
                                std::string(100, '[') + std::string(100, ']'), std::string("{\"a\": \"\xff\"}")}) {
    const ApiError e = error_of([&] { parse_request_body(bad); });
    EXPECT_EQ(e.type(), "SerializationException") << bad;
    EXPECT_EQ(e.status(), 400);
  }
}

}  // namespace
}  // namespace segmaker::api
