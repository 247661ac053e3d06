// The control plane over HTTP, one operation at a time: the wire envelope, SageMaker's error
// shapes, validation, models and endpoint configs, List paging / filters / sorting, capacity, and
// persistence across a restart of the service. No training here (test_training does that).
#include <gtest/gtest.h>

#include "api/api_fixture.h"
#include "io/paths.h"

namespace segmaker::api {
namespace {

using json = nlohmann::json;
using test::ApiServer;

json model_request(const std::string& name, const std::string& url = "s3://models/model.tar.gz") {
  return {{"ModelName", name},
          {"ExecutionRoleArn", "arn:aws:iam::000000000000:role/dummy"},
          {"PrimaryContainer", {{"Image", "811284229777.dkr.ecr.us-east-1.amazonaws.com/semantic-segmentation:1"},
                                {"ModelDataUrl", url}}}};
}

std::vector<std::string> model_names(const json& page) {
  std::vector<std::string> out;
  for (const auto& m : page["Models"]) out.push_back(m["ModelName"]);
  return out;
}

TEST(Operations, EnvelopeErrorsAreSageMakersAndTheServiceStaysUp) {
  ApiServer api;
  EXPECT_EQ(api.call("ListTrainingJobs").status, 200);
  EXPECT_EQ(api.call("ListTrainingJobs").body, json({{"TrainingJobSummaries", json::array()}}));

  auto unknown = api.call("ListNotebookInstances");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(unknown.type(), "UnknownOperationException");
  const std::string garbage = "{\"TrainingJobName\": ";
  auto malformed = api.call("DescribeTrainingJob", json(), &garbage);
  EXPECT_EQ(malformed.status, 400);
  EXPECT_EQ(malformed.type(), "SerializationException");

  auto c = api.client();
  auto no_target = c.Post("/", "{}", "application/x-amz-json-1.1");
  ASSERT_TRUE(no_target);
  EXPECT_EQ(no_target->status, 400);
  EXPECT_EQ(json::parse(no_target->body)["__type"], "UnknownOperationException");
  auto other_service = c.Post("/", {{"X-Amz-Target", "DynamoDB_20120810.ListTables"}}, "{}", "application/x-amz-json-1.0");
  EXPECT_EQ(json::parse(other_service->body)["__type"], "UnknownOperationException");
  auto no_route = c.Get("/nothing/here");
  EXPECT_EQ(no_route->status, 404);
  EXPECT_EQ(json::parse(no_route->body)["__type"], "UnknownOperationException");
  EXPECT_EQ(api.call("ListModels").status, 200) << "the service answers after bad requests";
}

TEST(Operations, UnknownResourcesAreValidationExceptions) {
  ApiServer api;
  const std::pair<const char*, json> describes[] = {
      {"DescribeTrainingJob", {{"TrainingJobName", "nope"}}},  {"DescribeModel", {{"ModelName", "nope"}}},
      {"DescribeEndpointConfig", {{"EndpointConfigName", "nope"}}}, {"DescribeEndpoint", {{"EndpointName", "nope"}}},
      {"DescribeTransformJob", {{"TransformJobName", "nope"}}}, {"StopTrainingJob", {{"TrainingJobName", "nope"}}},
      {"DeleteModel", {{"ModelName", "nope"}}},                 {"DeleteEndpoint", {{"EndpointName", "nope"}}},
      {"DeleteEndpointConfig", {{"EndpointConfigName", "nope"}}}, {"StopTransformJob", {{"TransformJobName", "nope"}}}};
  for (const auto& [op, request] : describes) {
    const auto r = api.call(op, request);
    EXPECT_EQ(r.status, 400) << op;
    EXPECT_EQ(r.type(), "ValidationException") << op;
  }
  EXPECT_EQ(api.call("DescribeTrainingJob", {{"TrainingJobName", "nope"}}).message(), "Requested resource not found.");
  EXPECT_EQ(api.call("DescribeEndpoint", {{"EndpointName", "nope"}}).message(),
            "Could not find endpoint \"arn:aws:sagemaker:us-east-1:000000000000:endpoint/nope\".");
  const auto missing = api.call("DescribeModel");
  EXPECT_EQ(missing.message(),
            "1 validation error detected: Value null at 'modelName' failed to satisfy constraint: Member must not be null");
}

TEST(Operations, ModelsAndEndpointConfigs) {
  ApiServer api;
  auto created = api.call("CreateModel", model_request("pets"));
  ASSERT_EQ(created.status, 200) << created.body;
  EXPECT_EQ(created.body["ModelArn"], "arn:aws:sagemaker:us-east-1:000000000000:model/pets");
  auto described = api.call("DescribeModel", {{"ModelName", "pets"}}).body;
  EXPECT_EQ(described["PrimaryContainer"]["ModelDataUrl"], "s3://models/model.tar.gz");
  EXPECT_EQ(described["ExecutionRoleArn"], "arn:aws:iam::000000000000:role/dummy");
  EXPECT_TRUE(described["CreationTime"].is_number());
  EXPECT_EQ(api.call("CreateModel", model_request("PETS")).type(), "ResourceInUse");

  auto bad_image = model_request("other");
  bad_image["PrimaryContainer"]["Image"] = "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:1.13";
  EXPECT_NE(api.call("CreateModel", bad_image).message().find("'primaryContainer.image'"), std::string::npos);
  EXPECT_NE(api.call("CreateModel", model_request("other", "http://example.com/m.tar.gz")).message().find("modelDataUrl"),
            std::string::npos);

  json config = {{"EndpointConfigName", "cfg"},
                 {"ProductionVariants", {{{"VariantName", "AllTraffic"}, {"ModelName", "pets"}, {"InitialInstanceCount", 1},
                                          {"InstanceType", "ml.m5.large"}}}}};
  ASSERT_EQ(api.call("CreateEndpointConfig", config).status, 200);
  EXPECT_EQ(api.call("DescribeEndpointConfig", {{"EndpointConfigName", "cfg"}}).body["ProductionVariants"][0]["InitialVariantWeight"], 1.0);
  EXPECT_EQ(api.call("CreateEndpointConfig", config).type(), "ResourceInUse");
  config["EndpointConfigName"] = "cfg2";
  config["ProductionVariants"][0]["ModelName"] = "ghost";
  config["ProductionVariants"][0]["InstanceType"] = "ml.nothing";
  const std::string m = api.call("CreateEndpointConfig", config).message();
  EXPECT_NE(m.find("Could not find model \"arn:aws:sagemaker:us-east-1:000000000000:model/ghost\""), std::string::npos) << m;
  EXPECT_NE(m.find("'productionVariants.1.member.instanceType'"), std::string::npos) << m;

  EXPECT_EQ(api.call("CreateEndpoint", {{"EndpointName", "ep"}, {"EndpointConfigName", "missing"}}).type(), "ValidationException");
  EXPECT_EQ(api.call("DeleteEndpointConfig", {{"EndpointConfigName", "cfg"}}).status, 200);
  EXPECT_EQ(api.call("DeleteModel", {{"ModelName", "pets"}}).status, 200);
  EXPECT_EQ(api.call("DescribeModel", {{"ModelName", "pets"}}).type(), "ValidationException");
}

TEST(Operations, ListPagingFiltersAndSorting) {
  ApiServer api;
  const std::vector<std::string> names{"cat-1", "dog-1", "cat-2", "dog-2", "cat-3"};
  std::vector<double> times;
  for (const auto& n : names) {
    ASSERT_EQ(api.call("CreateModel", model_request(n)).status, 200);
    times.push_back(api.call("DescribeModel", {{"ModelName", n}}).body["CreationTime"].get<double>());
  }
  // Newest first by default; pages of 2 with NextToken, the last without.
  auto page1 = api.call("ListModels", {{"MaxResults", 2}}).body;
  EXPECT_EQ(model_names(page1), (std::vector<std::string>{"cat-3", "dog-2"}));
  ASSERT_TRUE(page1.contains("NextToken"));
  auto page2 = api.call("ListModels", {{"MaxResults", 2}, {"NextToken", page1["NextToken"]}}).body;
  EXPECT_EQ(model_names(page2), (std::vector<std::string>{"cat-2", "dog-1"}));
  auto page3 = api.call("ListModels", {{"MaxResults", 2}, {"NextToken", page2["NextToken"]}}).body;
  EXPECT_EQ(model_names(page3), (std::vector<std::string>{"cat-1"}));
  EXPECT_FALSE(page3.contains("NextToken"));

  EXPECT_EQ(model_names(api.call("ListModels", {{"NameContains", "CAT"}, {"SortBy", "Name"}, {"SortOrder", "Ascending"}}).body),
            (std::vector<std::string>{"cat-1", "cat-2", "cat-3"}));
  EXPECT_EQ(model_names(api.call("ListModels", {{"SortBy", "Name"}, {"SortOrder", "Descending"}, {"MaxResults", 1}}).body),
            (std::vector<std::string>{"dog-2"}));
  // Timestamps as the clients send them: integer or fractional epoch seconds.
  EXPECT_EQ(model_names(api.call("ListModels", {{"CreationTimeAfter", times[2]}, {"CreationTimeBefore", times[4]}}).body),
            (std::vector<std::string>{"dog-2"}));
  EXPECT_EQ(api.call("ListModels", {{"CreationTimeBefore", 1000000000}}).body["Models"].size(), 0u);

  EXPECT_EQ(api.call("ListModels", {{"NextToken", "forged"}}).type(), "ValidationException");
  EXPECT_EQ(api.call("ListModels", {{"NextToken", page1["NextToken"]}}).status, 200);
  EXPECT_EQ(api.call("ListTrainingJobs", {{"NextToken", page1["NextToken"]}}).type(), "ValidationException")
      << "a token of another List operation";
  EXPECT_NE(api.call("ListModels", {{"MaxResults", 0}}).message().find("greater than or equal to 1"), std::string::npos);
  EXPECT_NE(api.call("ListModels", {{"MaxResults", 101}}).message().find("less than or equal to 100"), std::string::npos);
  EXPECT_NE(api.call("ListModels", {{"SortBy", "Status"}}).message().find("enum value set: [Name, CreationTime]"), std::string::npos);
  EXPECT_NE(api.call("ListEndpoints", {{"StatusEquals", "Running"}}).message().find("'statusEquals'"), std::string::npos);
  EXPECT_NE(api.call("ListTrainingJobs", {{"NameContains", "a b"}}).message().find("'nameContains'"), std::string::npos);
}

TEST(Operations, TrainingJobsThatCannotDownloadFailWithSageMakersReason) {
  ApiServer api;
  const auto empty = api.temp() / "empty";
  std::filesystem::create_directories(empty / "train");
  for (const char* name : {"job-a", "job-b", "other-c"}) {
    auto r = api.call("CreateTrainingJob", test::training_job_request(name, empty, api.temp() / "out"));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body["TrainingJobArn"], std::string("arn:aws:sagemaker:us-east-1:000000000000:training-job/") + name);
  }
  EXPECT_EQ(api.call("CreateTrainingJob", test::training_job_request("JOB-A", empty, api.temp() / "out")).type(), "ResourceInUse");
  for (const char* name : {"job-a", "job-b", "other-c"}) {
    const json d = api.wait_while("DescribeTrainingJob", {{"TrainingJobName", name}}, "TrainingJobStatus", {"InProgress"});
    EXPECT_EQ(d["TrainingJobStatus"], "Failed") << d;
    EXPECT_EQ(d["SecondaryStatus"], "Failed");
    EXPECT_EQ(d["FailureReason"].get<std::string>().rfind("ClientError: No S3 objects found under S3 URL", 0), 0u) << d;
    const auto& t = d["SecondaryStatusTransitions"];
    ASSERT_EQ(t.size(), 3u) << d;
    EXPECT_EQ(t[0]["Status"], "Starting");
    EXPECT_EQ(t[1]["Status"], "Downloading");
    EXPECT_EQ(t[2]["Status"], "Failed");
    EXPECT_LE(t[0]["StartTime"].get<double>(), t[0]["EndTime"].get<double>());
    EXPECT_EQ(t[0]["EndTime"], t[1]["StartTime"]);
    EXPECT_FALSE(d.contains("ModelArtifacts"));
    EXPECT_FALSE(d.contains("_TrainingSeconds")) << "internal fields stay internal";
  }
  auto failed = api.call("ListTrainingJobs", {{"StatusEquals", "Failed"}, {"NameContains", "job"}, {"SortBy", "Name"},
                                               {"SortOrder", "Descending"}}).body["TrainingJobSummaries"];
  ASSERT_EQ(failed.size(), 2u);
  EXPECT_EQ(failed[0]["TrainingJobName"], "job-b");
  EXPECT_TRUE(failed[0].contains("TrainingEndTime"));
  EXPECT_EQ(api.call("ListTrainingJobs", {{"StatusEquals", "InProgress"}}).body["TrainingJobSummaries"].size(), 0u);
  EXPECT_EQ(api.call("ListTrainingJobs", {{"SortBy", "Status"}}).status, 200);
  const auto stop = api.call("StopTrainingJob", {{"TrainingJobName", "job-a"}});
  EXPECT_EQ(stop.type(), "ValidationException");
  EXPECT_NE(stop.message().find("status Failed"), std::string::npos);
  // Its log says what happened (HTTP route and the CLI's reader).
  auto log = api.client().Get("/logs/training-jobs/job-a");
  ASSERT_TRUE(log);
  EXPECT_NE(log->body.find("No S3 objects found"), std::string::npos) << log->body;
  EXPECT_EQ(api.client().Get("/logs/training-jobs/nope")->status, 400);
}

TEST(Operations, CapacityLimitsAreResourceLimitExceeded) {
  ServiceOptions o;
  o.limits.max_serving_instances = 2;
  ApiServer api(o);
  ASSERT_EQ(api.call("CreateModel", model_request("m")).status, 200);
  ASSERT_EQ(api.call("CreateEndpointConfig", {{"EndpointConfigName", "big"},
                                              {"ProductionVariants", {{{"VariantName", "v"}, {"ModelName", "m"},
                                                                       {"InitialInstanceCount", 3}, {"InstanceType", "ml.m5.large"}}}}})
                .status,
            200);
  const auto r = api.call("CreateEndpoint", {{"EndpointName", "ep"}, {"EndpointConfigName", "big"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.type(), "ResourceLimitExceeded");
  EXPECT_NE(r.message().find("--max-instances"), std::string::npos) << r.message();
  EXPECT_EQ(api.call("DescribeEndpoint", {{"EndpointName", "ep"}}).type(), "ValidationException") << "nothing was created";
}

TEST(Operations, EverythingIsStillThereAfterARestart) {
  test::TempDir dir;
  {
    ApiServer api({}, dir / "root");
    ASSERT_EQ(api.call("CreateModel", model_request("kept")).status, 200);
    ASSERT_EQ(api.call("CreateEndpointConfig", {{"EndpointConfigName", "kept-cfg"},
                                                {"ProductionVariants", {{{"VariantName", "v"}, {"ModelName", "kept"},
                                                                         {"InitialInstanceCount", 1}, {"InstanceType", "ml.m5.large"}}}}})
                  .status,
              200);
  }
  ApiServer again({}, dir / "root");
  EXPECT_EQ(again.call("DescribeModel", {{"ModelName", "kept"}}).status, 200);
  EXPECT_EQ(again.call("DescribeEndpointConfig", {{"EndpointConfigName", "kept-cfg"}}).status, 200);
  EXPECT_EQ(again.call("CreateModel", model_request("kept")).type(), "ResourceInUse");
}

}  // namespace
}  // namespace segmaker::api
