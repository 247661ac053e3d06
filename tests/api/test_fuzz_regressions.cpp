// What fuzz_api_request's invariants caught (tests/fuzz_regressions/fuzz_api_request/, FUZZING.md),
// and fuzz_query_request's find (at the end),
// replayed through the calls of the target and of CreateTrainingJob: each CreateTrainingJob is
// refused with a ValidationException, or accepted and then written and read without an error
// (before the fixes: nlohmann type_errors, i.e. 500 InternalFailure or a job failing in the runner,
// and a channel downloaded into input/data/..).
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include <httplib.h>
#include <pugixml.hpp>

#include "api/api_error.h"
#include "api/query_protocol.h"
#include "api/request.h"
#include "api/training_job.h"
#include "io/paths.h"
#include "support/test_util.h"

namespace segmaker::api {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// The input split as the target splits it: X-Amz-Target, newline, body.
json request_of(const fs::path& file) {
  const std::string input = io::read_file(file);
  const auto newline = input.find('\n');
  EXPECT_EQ(operation_of(input.substr(0, newline)), "CreateTrainingJob") << file;
  return parse_request_body(input.substr(newline + 1));
}

json request_named(const std::string& name) {
  return request_of(fs::path(SEGMAKER_SOURCE_DIR) / "tests" / "fuzz_regressions" / "fuzz_api_request" / name);
}

std::string validation_message(const json& request) {
  try {
    validate_create_training_job(request, storage::LocalAccess{});
  } catch (const ApiError& e) {
    EXPECT_EQ(e.status(), 400);
    EXPECT_EQ(e.type(), "ValidationException");
    return e.what();
  }
  return "(no error)";
}

TEST(FuzzRegressions, EveryCreateTrainingJobIsRefusedOrRuns) {
  const fs::path dir = fs::path(SEGMAKER_SOURCE_DIR) / "tests" / "fuzz_regressions" / "fuzz_api_request";
  ASSERT_TRUE(fs::is_directory(dir));
  for (const auto& f : fs::directory_iterator(dir)) {
    const json r = request_of(f.path());
    if (validation_message(r) != "(no error)") continue;
    const json doc = new_training_job_document(r, "arn:aws:sagemaker:us-east-1:000000000000:training-job/a", 1.0);
    EXPECT_NO_THROW((void)doc.at("StoppingCondition").value("MaxRuntimeInSeconds", 86400.0)) << f.path();
    test::TempDir tmp;
    EXPECT_NO_THROW(write_container_config(tmp.path() / "job", r)) << f.path();
  }
}

TEST(FuzzRegressions, AnAlgorithmNameThatIsNotAStringIsAValidationError) {
  const std::string m = validation_message(request_named("algorithm-name-a-number.txt"));
  EXPECT_NE(m.find("Value 5 at 'algorithmSpecification.algorithmName'"), std::string::npos) << m;
}

TEST(FuzzRegressions, ChannelNamesDotAndDotDotAreRefused) {
  const std::string m = validation_message(request_named("channel-name-dot-dot.txt"));
  EXPECT_NE(m.find("Value '..' at 'inputDataConfig.1.member.channelName'"), std::string::npos) << m;
}

TEST(FuzzRegressions, NullMembersAreReadAsAbsent) {
  EXPECT_EQ(parse_request_body(R"({"A": null, "B": {"C": null, "D": 1}, "E": [{"F": null}, null]})"),
            json::parse(R"({"B": {"D": 1}, "E": [{}, null]})"));

  const json runtime = request_named("null-max-runtime.txt");
  EXPECT_EQ(validation_message(runtime), "(no error)");
  EXPECT_EQ(new_training_job_document(runtime, "arn", 1.0)["StoppingCondition"]["MaxRuntimeInSeconds"], 86400);

  for (const char* name : {"null-s3-data-distribution-type.txt", "null-record-wrapper-type.txt"}) {
    const json r = request_named(name);
    EXPECT_EQ(validation_message(r), "(no error)") << name;
    test::TempDir tmp;
    write_container_config(tmp.path() / "job", r);
    const json channels = json::parse(io::read_file(tmp.path() / "job" / "input" / "config" / "inputdataconfig.json"));
    EXPECT_EQ(channels["train"]["S3DistributionType"], "FullyReplicated") << name;
    EXPECT_EQ(channels["train"]["RecordWrapperType"], "None") << name;
  }

  const std::string m = validation_message(request_named("null-training-image.txt"));
  EXPECT_NE(m.find("Value null at 'algorithmSpecification.trainingImage' failed to satisfy constraint: Member must not be null"),
            std::string::npos)
      << m;
}

// fuzz_query_request: a form parameter whose name part is no member name ("MetricDataQber.1") became
// a JSON member "1" and then an XML element <1> in an answer: refused as malformed now, and every
// answer or error written for the inputs is well-formed XML.
TEST(FuzzRegressions, AwsQueryParameterNamesThatAreNoMemberNamesAreRefused) {
  const fs::path dir = fs::path(SEGMAKER_SOURCE_DIR) / "tests" / "fuzz_regressions" / "fuzz_query_request";
  int replayed = 0;
  for (const auto& file : fs::directory_iterator(dir)) {
    httplib::Params params;
    httplib::detail::parse_query_text(io::read_file(file.path()), params);
    std::string xml;
    try {
      const auto q = query_request(std::multimap<std::string, std::string>(params.begin(), params.end()));
      xml = query_answer_xml(q.action, query_namespace(q.version), q.request, "id");
    } catch (const ApiError& e) {
      EXPECT_EQ(e.status(), 400) << file.path();
      EXPECT_NE(std::string(e.what()).find("is malformed"), std::string::npos) << e.what();
      xml = query_error_xml(e, "", "id");
    }
    pugi::xml_document doc;
    EXPECT_TRUE(doc.load_string(xml.c_str())) << file.path() << ": " << xml;
    ++replayed;
  }
  EXPECT_GE(replayed, 1);
}

}  // namespace
}  // namespace segmaker::api
