// CloudWatch Logs and metrics and STS on `segmaker api`'s listener, in the wire protocols the clients
// speak (awsJson1_1 for Logs, awsJson1_0 and awsQuery for metrics, awsQuery for STS): the log store's
// tokens and paging with CloudWatch's semantics, the ingester (lines, partial lines, metrics from
// MetricDefinitions, resuming after a restart), and every bad request answered with the error shape
// the clients parse (never a 5xx).
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "api/api_fixture.h"
#include "api/log_ingester.h"
#include "api/log_sources.h"
#include "api/log_store.h"
#include "api/metric_store.h"
#include "api/query_protocol.h"
#include "io/error.h"
#include "io/paths.h"
#include "sagemaker/metrics.h"

namespace segmaker::api {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using test::ApiServer;

const char* kLogs = "Logs_20140328.";

// Five events in stream a/1, two in a/2 and one in b/1 of group /g, written through a second
// connection to the service's own log store (as the ingester writes it).
void write_sample_logs(const fs::path& root) {
  LogStore logs(root / "logs.db");
  logs.append("/g", "a/1", {"one", "two error", "three"}, 1000, 10);
  logs.append("/g", "a/2", {"alpha error"}, 1500, 5);
  logs.append("/g", "a/1", {"four", "five error"}, 2000, 20);
  logs.append("/g", "a/2", {"beta"}, 2500, 9);
  logs.append("/g", "b/1", {"gamma"}, 3000, 6);
}

std::vector<std::string> messages(const json& answer) {
  std::vector<std::string> out;
  for (const auto& e : answer["events"]) out.push_back(e["message"]);
  return out;
}

TEST(CloudWatchLogs, GroupsAndStreamsPageOnlyWhenMoreRemain) {
  ApiServer api;
  write_sample_logs(api.root());
  auto groups = api.call_target(std::string(kLogs) + "DescribeLogGroups", {{"logGroupNamePrefix", "/g"}});
  ASSERT_EQ(groups.status, 200) << groups.body;
  ASSERT_EQ(groups.body["logGroups"].size(), 1u);
  EXPECT_EQ(groups.body["logGroups"][0]["logGroupName"], "/g");
  EXPECT_FALSE(groups.body.contains("nextToken"));

  auto page1 = api.call_target(std::string(kLogs) + "DescribeLogStreams",
                               {{"logGroupName", "/g"}, {"logStreamNamePrefix", "a/"}, {"orderBy", "LogStreamName"}, {"limit", 1}});
  ASSERT_EQ(page1.status, 200) << page1.body;
  ASSERT_EQ(page1.body["logStreams"].size(), 1u);
  EXPECT_EQ(page1.body["logStreams"][0]["logStreamName"], "a/1");
  EXPECT_EQ(page1.body["logStreams"][0]["firstEventTimestamp"], 1000);
  EXPECT_EQ(page1.body["logStreams"][0]["lastEventTimestamp"], 2000);
  ASSERT_TRUE(page1.body.contains("nextToken"));
  auto page2 = api.call_target(std::string(kLogs) + "DescribeLogStreams",
                               {{"logGroupName", "/g"}, {"logStreamNamePrefix", "a/"}, {"limit", 1}, {"nextToken", page1.body["nextToken"]}});
  ASSERT_EQ(page2.body["logStreams"].size(), 1u);
  EXPECT_EQ(page2.body["logStreams"][0]["logStreamName"], "a/2");
  EXPECT_FALSE(page2.body.contains("nextToken")) << "no token when every stream was listed (the SDK loops while one is present)";

  auto by_time = api.call_target(std::string(kLogs) + "DescribeLogStreams",
                                 {{"logGroupName", "/g"}, {"orderBy", "LastEventTime"}, {"descending", true}});
  ASSERT_EQ(by_time.body["logStreams"].size(), 3u);
  EXPECT_EQ(by_time.body["logStreams"][0]["logStreamName"], "b/1");
}

TEST(CloudWatchLogs, GetLogEventsTokensHaveCloudWatchsSemantics) {
  ApiServer api;
  write_sample_logs(api.root());
  const std::string op = std::string(kLogs) + "GetLogEvents";
  const json stream = {{"logGroupName", "/g"}, {"logStreamName", "a/1"}};
  json q = stream;
  q["startFromHead"] = true;
  q["limit"] = 2;
  auto first = api.call_target(op, q);
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(messages(first.body), (std::vector<std::string>{"one", "two error"}));
  EXPECT_EQ(first.body["events"][0]["timestamp"], 1000);
  EXPECT_TRUE(first.body["events"][0].contains("ingestionTime"));
  q["nextToken"] = first.body["nextForwardToken"];
  auto second = api.call_target(op, q);
  EXPECT_EQ(messages(second.body), (std::vector<std::string>{"three", "four"}));
  q["nextToken"] = second.body["nextForwardToken"];
  q["limit"] = 10;
  auto third = api.call_target(op, q);
  EXPECT_EQ(messages(third.body), (std::vector<std::string>{"five error"}));
  q["nextToken"] = third.body["nextForwardToken"];
  auto end = api.call_target(op, q);
  EXPECT_TRUE(end.body["events"].empty());
  EXPECT_EQ(end.body["nextForwardToken"], third.body["nextForwardToken"]) << "at the end the same token comes back";

  // Without a token and not from the head: the newest events; backwards from there.
  json tail = stream;
  tail["limit"] = 2;
  auto newest = api.call_target(op, tail);
  EXPECT_EQ(messages(newest.body), (std::vector<std::string>{"four", "five error"}));
  tail["nextToken"] = newest.body["nextBackwardToken"];
  auto older = api.call_target(op, tail);
  EXPECT_EQ(messages(older.body), (std::vector<std::string>{"two error", "three"}));

  // startTime is inclusive, endTime exclusive (the SDK re-reads from the last timestamp it printed).
  json window = stream;
  window["startFromHead"] = true;
  window["startTime"] = 1000;
  window["endTime"] = 2000;
  EXPECT_EQ(messages(api.call_target(op, window).body), (std::vector<std::string>{"one", "two error", "three"}));
}

TEST(CloudWatchLogs, FilterLogEventsInterleavesMatchesAndPages) {
  ApiServer api;
  write_sample_logs(api.root());
  const std::string op = std::string(kLogs) + "FilterLogEvents";
  auto all = api.call_target(op, {{"logGroupName", "/g"}, {"filterPattern", "error"}});
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(messages(all.body), (std::vector<std::string>{"two error", "alpha error", "five error"}));
  EXPECT_EQ(all.body["events"][1]["logStreamName"], "a/2");
  EXPECT_FALSE(all.body.contains("nextToken"));

  auto page = api.call_target(op, {{"logGroupName", "/g"}, {"filterPattern", "error"}, {"limit", 2}});
  EXPECT_EQ(messages(page.body), (std::vector<std::string>{"two error", "alpha error"}));
  ASSERT_TRUE(page.body.contains("nextToken"));
  auto rest = api.call_target(op, {{"logGroupName", "/g"}, {"filterPattern", "error"}, {"limit", 2}, {"nextToken", page.body["nextToken"]}});
  EXPECT_EQ(messages(rest.body), (std::vector<std::string>{"five error"}));
  EXPECT_FALSE(rest.body.contains("nextToken"));

  auto one_stream = api.call_target(op, {{"logGroupName", "/g"}, {"logStreamNames", {"a/2", "b/1"}}, {"startTime", 2000}});
  EXPECT_EQ(messages(one_stream.body), (std::vector<std::string>{"beta", "gamma"}));
  auto phrase = api.call_target(op, {{"logGroupName", "/g"}, {"filterPattern", "\"two error\""}});
  EXPECT_EQ(messages(phrase.body), (std::vector<std::string>{"two error"}));
}

TEST(CloudWatchLogs, BadRequestsGetTheErrorsTheClientsExpect) {
  ApiServer api;
  write_sample_logs(api.root());
  auto expect = [&](const std::string& op, const json& request, const std::string& type) {
    const auto r = api.call_target(std::string(kLogs) + op, request);
    EXPECT_EQ(r.status, 400) << op << " " << request << " " << r.body;
    EXPECT_EQ(r.type(), type) << op << " " << request << " " << r.body;
    EXPECT_FALSE(r.message().empty());
  };
  expect("DescribeLogStreams", {{"logGroupName", "/nope"}}, "ResourceNotFoundException");
  expect("GetLogEvents", {{"logGroupName", "/g"}, {"logStreamName", "zz"}}, "ResourceNotFoundException");
  expect("GetLogEvents", {{"logGroupName", "/nope"}, {"logStreamName", "a/1"}}, "ResourceNotFoundException");
  expect("GetLogEvents", {{"logGroupName", "/g"}, {"logStreamName", "a/1"}, {"nextToken", "garbage"}}, "InvalidParameterException");
  expect("GetLogEvents", {{"logGroupName", "/g"}, {"logStreamName", "a/1"}, {"limit", 0}}, "InvalidParameterException");
  expect("GetLogEvents", {{"logGroupName", "/g"}}, "InvalidParameterException");
  expect("DescribeLogStreams", {{"logGroupName", "/g"}, {"orderBy", "LastEventTime"}, {"logStreamNamePrefix", "a"}},
         "InvalidParameterException");
  expect("DescribeLogStreams", {{"logGroupName", "/g"}, {"orderBy", "Size"}}, "InvalidParameterException");
  expect("DescribeLogGroups", {{"limit", "x"}}, "InvalidParameterException");
  expect("FilterLogEvents", {{"logGroupName", "/g"}, {"filterPattern", "{ $.level = \"x\" }"}}, "InvalidParameterException");
  expect("FilterLogEvents", {{"logGroupName", "/g"}, {"logStreamNames", {"a/1"}}, {"logStreamNamePrefix", "a"}},
         "InvalidParameterException");
  const auto unknown = api.call_target(std::string(kLogs) + "PutLogEvents", {{"logGroupName", "/g"}});
  EXPECT_EQ(unknown.type(), "UnknownOperationException");
}

// --log-retention-days: when the service starts, older events go, and the streams they leave empty.
TEST(CloudWatchLogs, RetentionDropsOldEventsWhenTheServiceStarts) {
  test::TempDir dir;
  const std::int64_t day = 86400000, now = now_milliseconds();
  fs::create_directories(dir.path() / "root");
  {
    LogStore logs(dir.path() / "root" / "logs.db");
    logs.append("/g", "old", {"three days ago"}, now - 3 * day, 1);
    logs.append("/g", "mixed", {"three days ago too"}, now - 3 * day, 1);
    logs.append("/g", "mixed", {"a minute ago"}, now - 60000, 2);
  }
  ServiceOptions o;
  o.log_retention_days = 2;
  ApiServer api(o, dir.path() / "root");
  const auto streams = api.call_target(std::string(kLogs) + "DescribeLogStreams", {{"logGroupName", "/g"}});
  ASSERT_EQ(streams.body["logStreams"].size(), 1u) << streams.body;
  EXPECT_EQ(streams.body["logStreams"][0]["logStreamName"], "mixed");
  const auto events = api.call_target(std::string(kLogs) + "GetLogEvents",
                                      {{"logGroupName", "/g"}, {"logStreamName", "mixed"}, {"startFromHead", true}});
  EXPECT_EQ(messages(events.body), std::vector<std::string>{"a minute ago"});
}

TEST(LogIngester, LinesPartialLinesMetricsAndResumingAfterARestart) {
  test::TempDir dir;
  LogStore logs(dir / "logs.db");
  MetricStore metrics(dir / "metrics.db");
  const fs::path file = dir / "job.log";
  const json document = {{"AlgorithmSpecification", {{"MetricDefinitions", training_metric_definitions(json())}}}};
  {
    LogIngester ingester(logs, metrics, std::chrono::milliseconds(20));
    ingester.follow(training_log_source(file, "job", 1700000000.5, document));
    std::ofstream(file, std::ios::app) << "hello\r\n" << sagemaker::quality_metric_line("algo-1", 1, "validation mIOU", 0.5)
                                       << "\n" << sagemaker::quality_metric_line("algo-1", 1, "train loss", 0.75) << "\npart";
    ingester.flush(file);
    EXPECT_EQ(logs.text(kTrainingJobsLogGroup, "job/"),
              "hello\n" + sagemaker::quality_metric_line("algo-1", 1, "validation mIOU", 0.5) + "\n" +
                  sagemaker::quality_metric_line("algo-1", 1, "train loss", 0.75) + "\n")
        << "an unfinished line waits for its end";
    EXPECT_TRUE(logs.has_stream(kTrainingJobsLogGroup, "job/algo-1-1700000000"));
  }
  // A new service: the follower resumes after the last whole line (the unfinished one is read again).
  std::ofstream(file, std::ios::app) << "ial line\n" << sagemaker::quality_metric_line("algo-1", 2, "validation mIOU", 0.625) << "\n";
  {
    LogIngester ingester(logs, metrics);
    ingester.follow(training_log_source(file, "job", 1700000000.5, document));
    ingester.stop_following(file);
  }
  const std::string text = logs.text(kTrainingJobsLogGroup, "job/");
  EXPECT_NE(text.find("\npartial line\n"), std::string::npos) << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 5) << "nothing lost, nothing twice:\n" << text;

  const MetricId miou{kTrainingMetricsNamespace, "validation:mIOU", {{"TrainingJobName", "job"}}};
  const auto points = metrics.statistics(miou, 0, now_milliseconds() + 1000, 86400 * 30);
  ASSERT_EQ(points.size(), 1u);
  EXPECT_EQ(points[0].sample_count, 2);
  EXPECT_DOUBLE_EQ(points[0].maximum, 0.625);
  EXPECT_DOUBLE_EQ(points[0].minimum, 0.5);
  EXPECT_EQ(metrics.list(kTrainingMetricsNamespace, "", {{"TrainingJobName", "job"}}).size(), 2u)
      << "validation:mIOU and train:loss";
}

TEST(LogIngester, AMetricDefinitionThatIsNotARegexIsAValidationError) {
  EXPECT_THROW(training_metric_definitions(json::array({{{"Name", "x"}, {"Regex", "(unclosed"}}})), UserError);
  EXPECT_THROW(training_metric_definitions(json::array({{{"Name", "x"}}})), UserError);
  const json defs = training_metric_definitions(json::array({{{"Name", "mine"}, {"Regex", "mine=(\\S+)"}}}));
  EXPECT_EQ(defs.size(), sagemaker::algorithm_metric_definitions().size() + 1);
}

// Datapoints for job "j": validation:mIOU 0.25 at t0 and 0.75 at t0 + 30 s, 0.5 at t0 + 90 s.
constexpr std::int64_t kT0 = 1700000040000;  // ms, a whole minute
void write_sample_metrics(const fs::path& root) {
  MetricStore metrics(root / "metrics.db");
  const MetricId id{kTrainingMetricsNamespace, "validation:mIOU", {{"TrainingJobName", "j"}}};
  metrics.put(id, kT0, 0.25);
  metrics.put(id, kT0 + 30000, 0.75);
  metrics.put(id, kT0 + 90000, 0.5);
}

TEST(CloudWatchMetrics, GetMetricStatisticsInJson10AsBotocore142SendsIt) {
  ApiServer api;
  write_sample_metrics(api.root());
  const json request = {{"Namespace", kTrainingMetricsNamespace}, {"MetricName", "validation:mIOU"},
                        {"Dimensions", {{{"Name", "TrainingJobName"}, {"Value", "j"}}}},
                        {"StartTime", kT0 / 1000}, {"EndTime", kT0 / 1000 + 600}, {"Period", 60},
                        {"Statistics", {"Average", "Maximum", "SampleCount"}}};
  const auto r = api.call_target("GraniteServiceVersion20100801.GetMetricStatistics", request);
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.body["Datapoints"].size(), 2u) << r.body;
  EXPECT_DOUBLE_EQ(r.body["Datapoints"][0]["Average"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(r.body["Datapoints"][0]["Maximum"].get<double>(), 0.75);
  EXPECT_EQ(r.body["Datapoints"][0]["SampleCount"], 2);
  EXPECT_DOUBLE_EQ(r.body["Datapoints"][0]["Timestamp"].get<double>(), kT0 / 1000.0);
  EXPECT_EQ(r.body["Label"], "validation:mIOU");

  json per_point = request;
  per_point["Period"] = 1;
  EXPECT_EQ(api.call_target("GraniteServiceVersion20100801.GetMetricStatistics", per_point).body["Datapoints"].size(), 3u);

  const json data = {{"StartTime", kT0 / 1000}, {"EndTime", kT0 / 1000 + 600}, {"ScanBy", "TimestampAscending"},
                     {"MetricDataQueries", {{{"Id", "m"}, {"MetricStat", {{"Metric", {{"Namespace", kTrainingMetricsNamespace},
                                                                                        {"MetricName", "validation:mIOU"},
                                                                                        {"Dimensions", request["Dimensions"]}}},
                                                                             {"Period", 60}, {"Stat", "Maximum"}}}}}}};
  const auto d = api.call_target("GraniteServiceVersion20100801.GetMetricData", data);
  ASSERT_EQ(d.status, 200) << d.body;
  EXPECT_EQ(d.body["MetricDataResults"][0]["Values"], json({0.75, 0.5}));

  const auto list = api.call_target("GraniteServiceVersion20100801.ListMetrics", {{"Namespace", kTrainingMetricsNamespace}});
  ASSERT_EQ(list.body["Metrics"].size(), 1u) << list.body;
  EXPECT_EQ(list.body["Metrics"][0]["Dimensions"][0]["Value"], "j");
}

// The awsQuery side: form in, XML out (Debian's AWS CLI and boto3 1.26 speak it to CloudWatch).
TEST(CloudWatchMetrics, GetMetricStatisticsAndGetCallerIdentityInAwsQuery) {
  ApiServer api;
  write_sample_metrics(api.root());
  auto c = api.client();
  const std::string form =
      "Action=GetMetricStatistics&Version=2010-08-01&Namespace=%2Faws%2Fsagemaker%2FTrainingJobs&MetricName=validation%3AmIOU"
      "&Dimensions.member.1.Name=TrainingJobName&Dimensions.member.1.Value=j&StartTime=2023-11-14T22%3A14%3A00Z"
      "&EndTime=2023-11-14T23%3A14%3A00Z&Period=60&Statistics.member.1=Average";
  auto r = c.Post("/", form, "application/x-www-form-urlencoded; charset=utf-8");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_NE(r->body.find("<GetMetricStatisticsResponse xmlns=\"http://monitoring.amazonaws.com/doc/2010-08-01/\">"), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("<Timestamp>2023-11-14T22:14:00.000Z</Timestamp>"), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("<Average>0.5</Average>"), std::string::npos) << r->body;

  auto bad = c.Post("/", "Action=GetMetricStatistics&Version=2010-08-01&Namespace=x&MetricName=y&StartTime=2023-11-14T22:14:00Z"
                         "&EndTime=2023-11-14T23:14:00Z&Period=60&Statistics.member.1=Median",
                    "application/x-www-form-urlencoded");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_NE(bad->body.find("<Code>InvalidParameterValue</Code>"), std::string::npos) << bad->body;
  auto missing = c.Post("/", "Action=GetMetricStatistics&Version=2010-08-01", "application/x-www-form-urlencoded");
  EXPECT_NE(missing->body.find("<Code>MissingParameter</Code>"), std::string::npos) << missing->body;
  auto unknown = c.Post("/", "Action=PutMetricAlarm&Version=2010-08-01", "application/x-www-form-urlencoded");
  EXPECT_NE(unknown->body.find("<Code>InvalidAction</Code>"), std::string::npos) << unknown->body;

  auto sts = c.Post("/", "Action=GetCallerIdentity&Version=2011-06-15", "application/x-www-form-urlencoded");
  ASSERT_TRUE(sts);
  EXPECT_EQ(sts->status, 200) << sts->body;
  EXPECT_NE(sts->body.find("<Account>000000000000</Account>"), std::string::npos) << sts->body;
  EXPECT_NE(sts->body.find("https://sts.amazonaws.com/doc/2011-06-15/"), std::string::npos) << sts->body;
}

TEST(QueryProtocol, FlattenedParametersBecomeTheJsonRequest) {
  const QueryRequest q = query_request({{"Action", "GetMetricData"}, {"Version", "2010-08-01"},
                                        {"MetricDataQueries.member.2.Id", "b"}, {"MetricDataQueries.member.1.Id", "a"},
                                        {"MetricDataQueries.member.1.MetricStat.Metric.Dimensions.member.1.Name", "N"},
                                        {"Statistics.member.1", "Average"}});
  EXPECT_EQ(q.action, "GetMetricData");
  EXPECT_EQ(q.request["MetricDataQueries"][0]["Id"], "a");
  EXPECT_EQ(q.request["MetricDataQueries"][1]["Id"], "b");
  EXPECT_EQ(q.request["MetricDataQueries"][0]["MetricStat"]["Metric"]["Dimensions"][0]["Name"], "N");
  EXPECT_EQ(q.request["Statistics"], json({"Average"}));
  for (const auto& bad : std::vector<std::multimap<std::string, std::string>>{
           {{"Version", "2010-08-01"}},                                       // no Action
           {{"Action", "X"}, {"A.member.0", "v"}},                            // index 0
           {{"Action", "X"}, {"A.member.x", "v"}},                            // not a number
           {{"Action", "X"}, {"A", "v"}, {"A.B", "w"}},                       // a value and a structure
           {{"Action", "X"}, {"A..B", "v"}},                                  // an empty part
           {{"Action", "X"}, {"A.member.99999", "v"}},                        // a huge list
           {{"Action", "X"}, {"A.1", "v"}},                                   // a part that is no name (fuzz_query_request:
           {{"Action", "X"}, {"A.B<C", "v"}},                                 //   it became an XML element name)
           {{"Action", "Get Things"}}}) {                                     // not an action name
    EXPECT_THROW(query_request(bad), ApiError);
  }
}

}  // namespace
}  // namespace segmaker::api
