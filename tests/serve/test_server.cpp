#include <gtest/gtest.h>

#include <fstream>
#include <future>
#include <thread>

#include <nlohmann/json.hpp>

#include <opencv2/imgproc.hpp>

#include "aialgs_data.pb.h"
#include "data/image_io.h"
#include "io/error.h"
#include "serve/codecs.h"
#include "sagemaker/recordio.h"
#include "serve/recordio_checker.h"
#include "serve/server_fixture.h"
#include "support/random_image.h"

namespace segmaker::serve {
namespace {

using test::invoke;
using test::RunningServer;

using test::random_image;

nlohmann::json json_of(const httplib::Result& r) { return nlohmann::json::parse(r->body); }

// Expects a JSON error body with the status code in it.
void expect_error(const httplib::Result& r, int status) {
  ASSERT_TRUE(r) << "no answer (connection error " << static_cast<int>(r.error()) << ")";
  EXPECT_EQ(r->status, status) << r->body;
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  const auto j = nlohmann::json::parse(r->body, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r->body;
  EXPECT_EQ(j["error"]["code"], status);
  EXPECT_FALSE(j["error"]["message"].get<std::string>().empty());
}

class ServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    predictor_ = std::make_shared<const inference::Predictor>(test::tiny_artifact(3, 64));
  }
  static void TearDownTestSuite() { predictor_.reset(); }
  static ServerOptions options() {
    ServerOptions o;
    o.batching.max_delay_ms = 2;
    return o;
  }
  static std::shared_ptr<const inference::Predictor> predictor_;
};
std::shared_ptr<const inference::Predictor> ServerTest::predictor_;

TEST_F(ServerTest, PingIs503UntilTheModelIsLoaded) {
  std::promise<void> release;
  auto released = release.get_future().share();
  auto p = predictor_;
  ServerOptions o = options();
  o.host = "127.0.0.1";
  o.port = 0;
  Server server(o, [released, p] {
    released.wait();
    return p;
  });
  server.start();
  httplib::Client c("127.0.0.1", server.port());
  auto r = c.Get("/ping");
  expect_error(r, 503);
  expect_error(invoke(c, data::encode_jpeg(random_image(20, 20, 1, 5)), "image/jpeg", "image/png"), 503);
  release.set_value();
  ASSERT_TRUE(server.wait_until_ready(std::chrono::seconds(30)));
  r = c.Get("/ping");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(r->body.empty());
  server.stop();
  server.wait();
}

TEST_F(ServerTest, AFailingLoadStopsTheServerWithTheReason) {
  ServerOptions o = options();
  o.port = 0;
  Server server(o, []() -> std::shared_ptr<const inference::Predictor> { throw DataError("model.tar.gz is damaged"); });
  server.start();
  EXPECT_THROW(server.wait(), DataError);
}

TEST_F(ServerTest, PngAnswerHasTheInputSizeAndThePredictorsMask) {
  RunningServer s(options(), predictor_);
  auto c = s.client();
  const cv::Mat image = random_image(53, 37, 2, 5);
  for (const std::string type : {"image/jpeg", "image/png", "application/x-image"}) {
    const std::string body = type == "image/png" ? data::encode_png(image) : data::encode_jpeg(image);
    const auto r = invoke(c, body, type, "image/png");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << type << ": " << r->body;
    EXPECT_EQ(r->get_header_value("Content-Type"), "image/png");
    const cv::Mat mask = data::decode_mask(r->body);
    ASSERT_EQ(mask.size(), image.size()) << type;
    const cv::Mat expected = predictor_->predict(data::decode_image_rgb(body)).mask;
    EXPECT_EQ(cv::countNonZero(mask != expected), 0) << type;
  }
  // No Accept header at all: PNG, SageMaker's default.
  const auto r = c.Post("/invocations", data::encode_jpeg(image), "image/jpeg");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "image/png");
}

TEST_F(ServerTest, RecordIOProtobufAnswerMatchesThePng) {
  RunningServer s(options(), predictor_);
  auto c = s.client();
  const std::string jpeg = data::encode_jpeg(random_image(45, 31, 3, 5));
  const auto png = invoke(c, jpeg, "image/jpeg", "image/png");
  ASSERT_TRUE(png);
  const cv::Mat mask = data::decode_mask(png->body);
  for (const std::string accept : {"application/x-recordio-protobuf", "application/x-protobuf"}) {
    const auto r = invoke(c, jpeg, "image/jpeg", accept);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(r->get_header_value("Content-Type"), accept);
    const auto records = sagemaker::read_recordio(r->body);
    ASSERT_EQ(records.size(), 1u);
    aialgs::data::Record record;
    ASSERT_TRUE(record.ParseFromString(records[0]));
    const auto& shape = record.features().at("shape").int32_tensor().values();
    ASSERT_EQ(std::vector<int>(shape.begin(), shape.end()), (std::vector<int>{1, 3, 31, 45}));
    const auto& values = record.features().at("target").float32_tensor().values();
    ASSERT_EQ(values.size(), 3 * 31 * 45);
    const int plane = 31 * 45;
    for (int i = 0; i < plane; ++i) {
      int best = 0;
      for (int k = 1; k < 3; ++k)
        if (values[k * plane + i] > values[best * plane + i]) best = k;
      ASSERT_EQ(best, mask.data[i]) << "pixel " << i;
    }
  }
}

// Python's protobuf decodes the server's answer independently (Debian's python3-protobuf).
TEST_F(ServerTest, PythonDecodesTheRecordIOAnswer) {
  if (std::system("/usr/bin/python3 -c 'import google.protobuf, numpy, PIL' >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "/usr/bin/python3 with protobuf, numpy and PIL not available (apt-get install python3-protobuf)";
  RunningServer s(options(), predictor_);
  auto c = s.client();
  const std::string jpeg = data::encode_jpeg(random_image(61, 40, 4, 5));
  const auto answer = invoke(c, jpeg, "image/jpeg", "application/x-recordio-protobuf");
  const auto png = invoke(c, jpeg, "image/jpeg", "image/png");
  ASSERT_TRUE(answer && png);
  test::TempDir tmp;
  std::ofstream(tmp / "answer.out", std::ios::binary) << answer->body;
  std::ofstream(tmp / "mask.png", std::ios::binary) << png->body;
  const auto [rc, output] = test::check_recordio_answer(tmp / "answer.out", tmp / "mask.png", tmp / "log.txt");
  EXPECT_EQ(rc, 0) << output;
  const auto j = nlohmann::json::parse(output.substr(0, output.find('\n')));
  EXPECT_EQ(j["shape"], (nlohmann::json{1, 3, 40, 61}));
  EXPECT_EQ(j["mask_mode"], "L");
  EXPECT_EQ(j["argmax_equal_fraction"], 1.0);
}

TEST_F(ServerTest, JsonAnswer) {
  RunningServer s(options(), predictor_);
  auto c = s.client();
  const std::string jpeg = data::encode_jpeg(random_image(40, 30, 5, 5));
  const auto r = invoke(c, jpeg, "image/jpeg", "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  const auto j = json_of(r);
  EXPECT_EQ(j["classes"], (nlohmann::json{"background", "cat", "dog"}));
  EXPECT_EQ(j["shape"], (nlohmann::json{1, 3, 30, 40}));
  std::int64_t total = 0;
  for (const auto& p : j["pixels"]) total += p["count"].get<std::int64_t>();
  EXPECT_EQ(total, 40 * 30);
  const auto png = invoke(c, jpeg, "image/jpeg", "image/png");
  EXPECT_EQ(j["mask"]["data"], base64_encode(png->body));
}

TEST_F(ServerTest, EveryErrorHasAJsonBodyAndTheServerKeepsServing) {
  ServerOptions o = options();
  o.max_payload_bytes = 64 * 1024;
  o.max_pixels = 100 * 100;
  RunningServer s(o, predictor_);
  auto c = s.client();
  const std::string good = data::encode_jpeg(random_image(30, 20, 6, 5));
  expect_error(invoke(c, good, "image/jpeg", "text/html"), 406);
  expect_error(invoke(c, good, "image/jpeg", "image/png;q=0"), 406);
  expect_error(invoke(c, good, "text/plain", "image/png"), 415);
  expect_error(invoke(c, good, "application/json", "image/png"), 415);
  expect_error(invoke(c, "this is not an image", "image/jpeg", "image/png"), 400);
  expect_error(invoke(c, good.substr(0, good.size() / 2), "image/jpeg", "image/png"), 400);  // truncated JPEG
  expect_error(invoke(c, "", "image/jpeg", "image/png"), 400);
  expect_error(invoke(c, std::string(100 * 1024, 'x'), "image/jpeg", "image/png"), 413);  // body over the limit
  expect_error(invoke(c, data::encode_png(cv::Mat(101, 100, CV_8UC3, cv::Scalar(1, 2, 3))), "image/png",
                      "image/png"),
               413);  // pixels over the limit
  expect_error(c.Get("/no-such-page"), 404);
  // Still serving.
  const auto r = invoke(c, good, "image/jpeg", "image/png");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(ServerTest, ExecutionParametersAndDemoPage) {
  ServerOptions o = options();
  o.max_payload_bytes = 6 * 1024 * 1024;
  o.batching.workers = 2;
  o.batching.max_batch = 3;
  RunningServer s(o, predictor_);
  auto c = s.client();
  auto r = c.Get("/execution-parameters");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  const auto j = json_of(r);
  EXPECT_EQ(j["MaxConcurrentTransforms"], 6);
  EXPECT_EQ(j["BatchStrategy"], "SINGLE_RECORD");
  EXPECT_EQ(j["MaxPayloadInMB"], 6);
  // The precision the model runs in (auto: bf16 or fp32 here, the fixture's model is not calibrated).
  ASSERT_TRUE(j.contains("Precision")) << j.dump();
  EXPECT_TRUE(j["Precision"] == "fp32" || j["Precision"] == "bf16") << j.dump();
  EXPECT_NE(j["PrecisionReason"].get<std::string>().find("precision"), std::string::npos);
  r = c.Get("/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->get_header_value("Content-Type").find("text/html"), std::string::npos);
  EXPECT_NE(r->body.find("/invocations"), std::string::npos);
  EXPECT_EQ(r->body.find("__PALETTE__"), std::string::npos);
  EXPECT_NE(r->body.find("[[0,0,0],[128,0,0],[0,128,0]"), std::string::npos);  // the VOC palette
}

TEST_F(ServerTest, ConcurrentClientsAreBatchedAndEachGetsItsOwnAnswer) {
  ServerOptions o = options();
  o.batching.max_batch = 4;
  o.batching.max_delay_ms = 300;
  RunningServer s(o, predictor_);
  constexpr int kClients = 8;
  std::vector<std::string> bodies;
  std::vector<cv::Mat> expected;
  for (int i = 0; i < kClients; ++i) {
    // Same network size (64x64 after resizing), different images and input sizes.
    bodies.push_back(data::encode_png(random_image(40 + 8 * (i % 2), 40 + 8 * (i % 2), 100 + i)));
    expected.push_back(predictor_->predict(data::decode_image_rgb(bodies.back())).mask);
  }
  std::vector<std::future<std::pair<int, std::string>>> answers;
  for (int i = 0; i < kClients; ++i)
    answers.push_back(std::async(std::launch::async, [&, i] {
      auto c = s.client();
      const auto r = invoke(c, bodies[i], "image/png", "image/png");
      return r ? std::make_pair(r->status, r->body) : std::make_pair(-1, std::string());
    }));
  for (int i = 0; i < kClients; ++i) {
    const auto [status, body] = answers[i].get();
    ASSERT_EQ(status, 200) << "client " << i << ": " << body;
    EXPECT_EQ(cv::countNonZero(data::decode_mask(body) != expected[i]), 0) << "client " << i << " got another answer";
  }
  const auto stats = s.server->batcher_stats();
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->requests, static_cast<std::size_t>(kClients));
  EXPECT_GT(stats->largest_batch(), 1u) << "concurrent requests of one size were never batched";
  EXPECT_LT(stats->batches, static_cast<std::size_t>(kClients));
}

TEST_F(ServerTest, AFullQueueAnswers503) {
  // Native-size inference of 320x320 images is slow enough that the queue of 1 overflows.
  inference::PredictorOptions native;
  native.input_size = -1;
  auto slow = std::make_shared<const inference::Predictor>(test::tiny_artifact(3, 64), native);
  ServerOptions o = options();
  o.batching.max_batch = 1;
  o.batching.max_delay_ms = 0;
  o.batching.max_queue = 1;
  RunningServer s(o, slow);
  const std::string body = data::encode_png(random_image(320, 320, 7, 5));
  constexpr int kClients = 6;
  std::vector<std::future<httplib::Result>> answers;
  for (int i = 0; i < kClients; ++i)
    answers.push_back(std::async(std::launch::async, [&] {
      auto c = s.client();
      return invoke(c, body, "image/png", "image/png");
    }));
  int ok = 0, busy = 0;
  for (auto& f : answers) {
    const auto r = f.get();
    ASSERT_TRUE(r);
    if (r->status == 200) {
      ++ok;
    } else {
      expect_error(r, 503);
      EXPECT_EQ(r->get_header_value("Retry-After"), "1");
      ++busy;
    }
  }
  EXPECT_GE(ok, 1);
  EXPECT_GE(busy, 1);
  EXPECT_EQ(s.server->batcher_stats()->rejected, static_cast<std::size_t>(busy));
}

TEST_F(ServerTest, StopFinishesRequestsInFlight) {
  inference::PredictorOptions native;
  native.input_size = -1;
  auto slow = std::make_shared<const inference::Predictor>(test::tiny_artifact(3, 64), native);
  ServerOptions o = options();
  o.port = 0;
  Server server(o, [slow] { return slow; });
  const int port = server.start();
  ASSERT_TRUE(server.wait_until_ready(std::chrono::seconds(30)));
  const std::string body = data::encode_png(random_image(400, 400, 8, 5));
  auto in_flight = std::async(std::launch::async, [&] {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(120, 0);
    return invoke(c, body, "image/png", "image/png");
  });
  // Wait until the request is inside the batcher, then stop.
  for (int i = 0; i < 2000 && server.batcher_stats()->batches == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  ASSERT_EQ(server.batcher_stats()->batches, 1u);
  server.stop();
  const auto r = in_flight.get();
  ASSERT_TRUE(r) << "the request in flight was dropped";
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(data::decode_mask(r->body).size(), cv::Size(400, 400));
  server.wait();
  httplib::Client after("127.0.0.1", port);
  after.set_connection_timeout(1, 0);
  EXPECT_FALSE(after.Get("/ping")) << "still accepting connections after stop()";
}

}  // namespace
}  // namespace segmaker::serve
