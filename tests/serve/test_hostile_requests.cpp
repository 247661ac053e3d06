// What a hostile or careless client sends the endpoint (issue 14's table, one test per row): every
// request gets an answer with a JSON body, limits act before anything is allocated for them, the
// health check answers while slow clients and inference hold the request threads, and nothing
// ends the process. Plus issue 13's "curl --data-binary" (a form Content-Type is decoded by content).
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include "data/image_io.h"
#include "sagemaker/recordio.h"
#include "support/process.h"
#include "serve/server_fixture.h"
#include "support/hostile_images.h"
#include "support/raw_http.h"

namespace segmaker::serve {
namespace {

using namespace std::chrono_literals;
using test::post_invocations;
using test::raw_request;
using test::RawConnection;
using test::RawResponse;
using test::RunningServer;

cv::Mat smooth_image(int w, int h, int seed) {
  cv::Mat m(h, w, CV_8UC3);
  cv::RNG rng(static_cast<std::uint64_t>(seed));
  rng.fill(m, cv::RNG::UNIFORM, 0, 256);
  cv::Mat smooth;
  cv::blur(m, smooth, cv::Size(5, 5));
  return smooth;
}

// A JSON error body with the status in it (parsed: no invalid UTF-8 got through).
void expect_json_error(const RawResponse& r, int status) {
  ASSERT_EQ(r.status, status) << r.head << r.body;
  EXPECT_FALSE(r.has_header("EXCEPTION_WHAT")) << r.head;
  const auto j = nlohmann::json::parse(r.body, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.body;
  EXPECT_EQ(j["error"]["code"], status);
}

void expect_alive(int port) {
  const auto r = raw_request(port, "GET /ping HTTP/1.1\r\nHost: test\r\n\r\n", 5s);
  EXPECT_EQ(r.status, 200) << "the endpoint stopped answering /ping";
}

class HostileRequests : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { predictor_ = std::make_shared<const inference::Predictor>(test::tiny_artifact(3, 64)); }
  static void TearDownTestSuite() { predictor_.reset(); }
  static ServerOptions options() {
    ServerOptions o;
    o.batching.max_delay_ms = 1;
    return o;
  }
  static std::shared_ptr<const inference::Predictor> predictor_;
};
std::shared_ptr<const inference::Predictor> HostileRequests::predictor_;

// Row: `curl http://127.0.0.1:PORT/%FF` aborted the server (dump() of the decoded path threw).
TEST_F(HostileRequests, InvalidUtf8InThePathIsAJson404) {
  RunningServer s(options(), predictor_);
  const int port = s.server->port();
  for (const char* path : {"/%FF", "/%C3%28", "/%ED%A0%80", "/\xFF\xFE"}) {
    const auto r = raw_request(port, std::string("GET ") + path + " HTTP/1.1\r\nHost: test\r\n\r\n");
    if (r.status == 400) continue;  // raw bytes in a request line: refused as malformed, also fine
    expect_json_error(r, 404);
  }
  expect_json_error(raw_request(port, "POST /%FF HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\n\r\nx"), 404);
  expect_alive(port);
}

// Found by fuzz_http_request's long run: a malformed Range header made httplib answer 416 before routing
// and cut the JSON error body to the range it had parsed ("{\""). Error answers are always whole, and
// no answer is ever a range.
TEST_F(HostileRequests, RangeHeadersNeverCutAnAnswer) {
  RunningServer s(options(), predictor_);
  const int port = s.server->port();
  for (const char* range : {"bytes=0-1,2-1", "bytes=0-1", "bytes=5-2", "bytes=0-0,1-1,2-2", "lines=1-2"}) {
    SCOPED_TRACE(range);
    const auto r = raw_request(port, std::string("GET /%FF HTTP/1.1\r\nHost: t\r\nRange: ") + range + "\r\n\r\n");
    ASSERT_GE(r.status, 400);
    const auto j = nlohmann::json::parse(r.body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.body;
    EXPECT_EQ(r.head.find("Content-Range"), std::string::npos) << r.head;
    const auto ping = raw_request(port, std::string("GET /ping HTTP/1.1\r\nHost: t\r\nRange: ") + range + "\r\n\r\n");
    EXPECT_EQ(ping.head.find("Content-Range"), std::string::npos) << ping.head;
  }
  expect_alive(port);
}

// Row: `Content-Type: image/\xff` or `Accept: text/\xff` gave 500 with the exception in a header.
TEST_F(HostileRequests, InvalidUtf8InContentTypeOrAcceptIs415Or406) {
  RunningServer s(options(), predictor_);
  const int port = s.server->port();
  const std::string jpeg = data::encode_jpeg(smooth_image(20, 20, 1));
  expect_json_error(raw_request(port, post_invocations(jpeg, "Content-Type: image/\xff\r\n")), 415);
  expect_json_error(raw_request(port, post_invocations(jpeg, "Content-Type: image/jpeg\r\nAccept: text/\xff\r\n")), 406);
  expect_json_error(raw_request(port, post_invocations(jpeg, "Content-Type: \xc3\x28\r\n")), 415);
  expect_alive(port);
}

// Rows: a 694-byte JPEG saying 20000x20000, a 35-byte GIF with a 20000² screen, a 1-bit PNG of
// 30000x30000: refused from their headers (the memory this saves: HostileEndpointProcess).
TEST_F(HostileRequests, DecompressionBombsAreRefusedFromTheirHeaders) {
  RunningServer s(options(), predictor_);
  const int port = s.server->port();
  const std::string bombs[] = {test::jpeg_declaring(20000, 20000), test::gif_with_screen(20000, 20000),
                               test::png_1bit_zeros(30000, 30000)};
  for (const auto& bomb : bombs) {
    const auto r = raw_request(port, post_invocations(bomb, "Content-Type: application/x-image\r\n"));
    expect_json_error(r, 413);
    EXPECT_NE(r.body.find("before decoding"), std::string::npos) << r.body;
  }
  EXPECT_EQ(s.server->batcher_stats()->requests, 0u);
  expect_alive(port);
}

// Row: a 1000x1 PNG was scaled to a 240x240000 network input (81 s, 6.5 GB).
TEST_F(HostileRequests, ExtremeAspectRatiosAndNetworkInputsAre413BeforeInference) {
  RunningServer s(options(), predictor_);
  const int port = s.server->port();
  const auto thin = raw_request(port, post_invocations(data::encode_png(smooth_image(1000, 1, 2)), ""));
  expect_json_error(thin, 413);
  EXPECT_NE(thin.body.find("--max-aspect-ratio"), std::string::npos) << thin.body;
  const auto tall = raw_request(port, post_invocations(data::encode_png(smooth_image(2, 300, 3)), ""));
  expect_json_error(tall, 413);
  EXPECT_EQ(s.server->batcher_stats()->requests, 0u) << "an image over the network limits reached inference";
  // Within the limits: answered.
  const auto ok = raw_request(port, post_invocations(data::encode_png(smooth_image(300, 20, 4)), ""));
  EXPECT_EQ(ok.status, 200) << ok.body;
}

// Row: a chunked body (and a Content-Length one) was buffered in full before the 413.
TEST_F(HostileRequests, TheBodyLimitCountsBytesAsTheyArrive) {
  ServerOptions o = options();
  o.max_payload_bytes = 256 * 1024;
  RunningServer s(o, predictor_);
  const int port = s.server->port();
  {
    // A chunked body that never ends: answered once the limit is crossed, without the rest.
    RawConnection c(port);
    ASSERT_TRUE(c.send("POST /invocations HTTP/1.1\r\nHost: t\r\nContent-Type: image/jpeg\r\nTransfer-Encoding: chunked\r\n\r\n"));
    const std::string chunk = "10000\r\n" + std::string(0x10000, 'x') + "\r\n";
    for (int i = 0; i < 5; ++i) c.send(chunk);  // 320 KB, then silence
    expect_json_error(c.read_response(10s), 413);
  }
  {
    // A Content-Length over the limit: answered from the head, before any of the body is sent.
    RawConnection c(port);
    ASSERT_TRUE(c.send("POST /invocations HTTP/1.1\r\nHost: t\r\nContent-Type: image/jpeg\r\nContent-Length: 1000000000\r\n\r\n"));
    expect_json_error(c.read_response(10s), 413);
  }
  {
    // A lying Content-Length is only read up to what it says; the rest is not a second request.
    const std::string jpeg = data::encode_jpeg(smooth_image(30, 20, 5));
    const auto r = raw_request(port, "POST /invocations HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n" + jpeg);
    expect_json_error(r, 400);
  }
  expect_alive(port);
}

// Row: 1 MB of gzip that inflates to 1 GB was inflated by httplib.
TEST_F(HostileRequests, AnyContentEncodingIs415) {
  RunningServer s(options(), predictor_);
  const int port = s.server->port();
  const std::string jpeg = data::encode_jpeg(smooth_image(30, 20, 6));
  for (const char* encoding : {"gzip", "deflate", "br", "x-unknown"}) {
    const auto r = raw_request(port, post_invocations(jpeg, std::string("Content-Type: image/jpeg\r\nContent-Encoding: ") + encoding + "\r\n"));
    expect_json_error(r, 415);
    EXPECT_NE(r.body.find("Content-Encoding"), std::string::npos) << r.body;
  }
  EXPECT_EQ(raw_request(port, post_invocations(jpeg, "Content-Type: image/jpeg\r\nContent-Encoding: identity\r\n")).status, 200);
}

// Row: 100 MB of headers were read in full, then answered 400.
TEST_F(HostileRequests, AnOversizedHeadIs431BeforeItIsRead) {
  RunningServer s(options(), predictor_);
  const int port = s.server->port();
  {
    RawConnection c(port);
    c.send("GET /ping HTTP/1.1\r\nHost: t\r\n");
    std::string lines;
    for (int i = 0; i < 2000; ++i) lines += "X-Padding-" + std::to_string(i) + ": " + std::string(40, 'a') + "\r\n";
    c.send(lines);  // ~100 KB, never finished
    expect_json_error(c.read_response(10s), 431);
  }
  {
    RawConnection c(port);  // one endless header line
    c.send("GET /ping HTTP/1.1\r\nX-Long: " + std::string(100000, 'a'));
    expect_json_error(c.read_response(10s), 431);
  }
  {
    std::string head = "GET /ping HTTP/1.1\r\n";  // small, but too many lines
    for (int i = 0; i < 150; ++i) head += "X-" + std::to_string(i) + ": 1\r\n";
    expect_json_error(raw_request(port, head + "\r\n"), 431);
  }
  expect_alive(port);
}

// Row: a 4096² JPEG with Accept: application/x-recordio-protobuf built a 201 MB answer.
TEST_F(HostileRequests, TheAnswerSizeIsBoundedBeforeInference) {
  ServerOptions o = options();
  o.max_output_values = 3 * 100 * 100;
  RunningServer s(o, predictor_);
  const int port = s.server->port();
  const std::string big = data::encode_jpeg(smooth_image(101, 100, 7));
  const auto r = raw_request(port, post_invocations(big, "Content-Type: image/jpeg\r\nAccept: application/x-recordio-protobuf\r\n"));
  expect_json_error(r, 413);
  EXPECT_NE(r.body.find("--max-output-values"), std::string::npos) << r.body;
  EXPECT_EQ(s.server->batcher_stats()->requests, 0u);
  const auto fits = raw_request(port, post_invocations(data::encode_jpeg(smooth_image(100, 100, 8)),
                                                       "Content-Type: image/jpeg\r\nAccept: application/x-recordio-protobuf\r\n"));
  ASSERT_EQ(fits.status, 200);
  EXPECT_EQ(sagemaker::read_recordio(fits.body).size(), 1u);
}

// Row: 8 slow clients (a header line every 2 s) with 4 HTTP threads, and 4 slow inferences, kept
// /ping unanswered for 8 s and 111 s. Now /ping has its own threads and heads are read without one.
TEST_F(HostileRequests, PingAnswersWhileSlowClientsAndInferenceHoldTheRequestThreads) {
  inference::PredictorOptions native;
  native.input_size = -1;  // slow: the network runs at the image's size
  auto slow = std::make_shared<const inference::Predictor>(test::tiny_artifact(3, 64), native);
  ServerOptions o = options();
  o.http_threads = 2;
  o.batching.max_queue = 1;
  o.batching.max_batch = 1;
  RunningServer s(o, slow);
  const int port = s.server->port();
  std::atomic<bool> done{false};
  // 8 slow clients, one header line every 300 ms.
  std::vector<std::thread> slowloris;
  for (int i = 0; i < 8; ++i)
    slowloris.emplace_back([&, i] {
      RawConnection c(port);
      c.send("POST /invocations HTTP/1.1\r\n");
      for (int k = 0; !done && k < 40; ++k) {
        std::this_thread::sleep_for(300ms);
        if (!c.send("X-Slow-" + std::to_string(i) + ": " + std::to_string(k) + "\r\n")) break;
      }
    });
  // Inference keeps both request threads busy.
  const std::string big = data::encode_png(smooth_image(600, 600, 9));
  std::vector<std::future<int>> inferences;
  for (int i = 0; i < 4; ++i)
    inferences.push_back(std::async(std::launch::async, [&] { return raw_request(port, post_invocations(big, "")).status; }));
  std::this_thread::sleep_for(500ms);
  double worst_ms = 0;
  for (int i = 0; i < 10; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto r = raw_request(port, "GET /ping HTTP/1.1\r\nHost: t\r\n\r\n", 10s);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_EQ(r.status, 200);
    worst_ms = std::max(worst_ms, ms);
    std::this_thread::sleep_for(100ms);
  }
  // SageMaker's health check allows 2 s; here the machine may be busy, so only "not blocked".
  EXPECT_LT(worst_ms, 1500.0) << "/ping waited behind slow clients or inference";
  done = true;
  for (auto& t : slowloris) t.join();
  for (auto& f : inferences) {
    const int status = f.get();
    EXPECT_TRUE(status == 200 || status == 503) << status;
  }
}

// A head that does not arrive within head_timeout is answered 408 and the connection closed.
TEST_F(HostileRequests, ASlowHeadIsAnswered408) {
  ServerOptions o = options();
  o.http.head_timeout = 800ms;
  RunningServer s(o, predictor_);
  RawConnection c(s.server->port());
  c.send("GET /ping HTTP/1.1\r\nHost: t\r\n");
  const auto t0 = std::chrono::steady_clock::now();
  expect_json_error(c.read_response(10s), 408);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  EXPECT_TRUE(c.closed_by_server(5s));
}

// Row: clients that abandon their requests still had them run through inference.
TEST_F(HostileRequests, AbandonedRequestsAreDroppedBeforeInference) {
  inference::PredictorOptions native;
  native.input_size = -1;
  auto slow = std::make_shared<const inference::Predictor>(test::tiny_artifact(3, 64), native);
  ServerOptions o = options();
  o.batching.max_batch = 1;
  o.batching.max_queue = 16;
  RunningServer s(o, slow);
  const int port = s.server->port();
  const std::string body = data::encode_png(smooth_image(500, 500, 10));
  // One request keeps the model busy; 6 more queue behind it and are abandoned at once.
  auto first = std::async(std::launch::async, [&] { return raw_request(port, post_invocations(body, "")).status; });
  std::this_thread::sleep_for(200ms);
  for (int i = 0; i < 6; ++i) {
    RawConnection c(port);
    c.send(post_invocations(body, ""));
    std::this_thread::sleep_for(50ms);
  }  // closed: nobody waits for these answers
  EXPECT_EQ(first.get(), 200);
  ASSERT_TRUE(test::wait_until([&] { return s.server->batcher_stats()->dropped + s.server->batcher_stats()->requests >= 7; }, 60s));
  const auto stats = *s.server->batcher_stats();
  EXPECT_GE(stats.dropped, 5u) << "abandoned requests ran inference";
  EXPECT_LE(stats.requests, 2u);
  expect_alive(port);
}

// Row: a POST without a length, then EOF, got no answer; GET /invocations got 404.
TEST_F(HostileRequests, PostWithoutALengthIs411AndWrongMethodsAre405) {
  RunningServer s(options(), predictor_);
  const int port = s.server->port();
  {
    RawConnection c(port);
    c.send("POST /invocations HTTP/1.1\r\nHost: t\r\nContent-Type: image/jpeg\r\n\r\n");
    c.shutdown_write();
    expect_json_error(c.read_response(10s), 411);
  }
  const auto get = raw_request(port, "GET /invocations HTTP/1.1\r\nHost: t\r\n\r\n");
  expect_json_error(get, 405);
  EXPECT_TRUE(get.has_header("Allow")) << get.head;
  expect_json_error(raw_request(port, "POST /ping HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n"), 405);
  expect_json_error(raw_request(port, "DELETE /invocations HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n"), 405);
}

// Issue 13, defect 4: `curl --data-binary @cat.jpg` sends application/x-www-form-urlencoded and
// got "413 request body exceeds the limit of 6.0 MB" for a 100 KB JPEG; the AWS CLI sends none.
TEST_F(HostileRequests, CurlsFormContentTypeAndNoContentTypeAreDecodedByContent) {
  RunningServer s(options(), predictor_);
  const int port = s.server->port();
  const std::string jpeg = data::encode_jpeg(smooth_image(400, 300, 11), 98);
  ASSERT_GT(jpeg.size(), 64u * 1024) << "the test needs a body over httplib's 8 KB form limit";
  for (const char* type : {"Content-Type: application/x-www-form-urlencoded\r\n", "",
                           "Content-Type: application/octet-stream\r\n"}) {
    const auto r = raw_request(port, post_invocations(jpeg, type));
    ASSERT_EQ(r.status, 200) << type << r.body;
    EXPECT_EQ(data::decode_mask(r.body).size(), cv::Size(400, 300));
  }
  // A type that names something else is 415, naming it.
  const auto text = raw_request(port, post_invocations(jpeg, "Content-Type: text/plain\r\n"));
  expect_json_error(text, 415);
  EXPECT_NE(text.body.find("text/plain"), std::string::npos);
}

// The pipelined second request of a keep-alive connection is answered too; the connection stays.
TEST_F(HostileRequests, KeepAliveAndPipelinedRequestsStillWork) {
  RunningServer s(options(), predictor_);
  RawConnection c(s.server->port());
  const std::string jpeg = data::encode_jpeg(smooth_image(40, 30, 12));
  ASSERT_TRUE(c.send(post_invocations(jpeg, "") + "GET /ping HTTP/1.1\r\nHost: t\r\n\r\n"));
  EXPECT_EQ(c.read_response(30s).status, 200);
  EXPECT_EQ(c.read_response(30s).status, 200);
  ASSERT_TRUE(c.send(post_invocations(jpeg, "")));
  EXPECT_EQ(c.read_response(30s).status, 200);
}

}  // namespace
}  // namespace segmaker::serve
