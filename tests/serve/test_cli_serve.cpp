// The `segmaker serve` and `segmaker predict` executables end to end: SageMaker container mode
// (SAGEMAKER_BIND_TO_PORT, SAGEMAKER_MAX_PAYLOAD_IN_MB, <root>/model), SIGTERM drain, batch transform.
#include <gtest/gtest.h>

#include <signal.h>

#include <fstream>
#include <future>
#include <thread>

#include <opencv2/imgproc.hpp>

#include "aialgs_data.pb.h"
#include "data/image_io.h"
#include "io/free_port.h"
#include "serve/batch_transform.h"
#include "sagemaker/transform_output.h"
#include "sagemaker/recordio.h"
#include "serve/server_fixture.h"
#include "support/process.h"
#include "support/random_image.h"

namespace segmaker::serve {
namespace {

namespace fs = std::filesystem;

using test::random_image;

using io::free_port;
using test::read_text;
using test::wait_exit;

TEST(ServeCli, SageMakerModeServesAndDrainsOnSigterm) {
  test::TempDir tmp;
  inference::write_artifact_dir(tmp / "model", test::tiny_artifact(3, 64));
  const int port = free_port();
  const fs::path log = tmp / "serve.log";
  // --input-size -1: the network runs at the image's own size, so that a big image takes long
  // enough to be in flight when SIGTERM comes.
  const pid_t pid = test::spawn_cli({"--threads", "2", "serve", "--sagemaker", "--sm-root", tmp.path().string(), "--host",
                                     "127.0.0.1", "--input-size", "-1"},
                                    log, {{"SAGEMAKER_BIND_TO_PORT", std::to_string(port)}, {"SAGEMAKER_MAX_PAYLOAD_IN_MB", "2"}});
  ASSERT_GT(pid, 0);
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(120, 0);
  bool up = false;
  for (int i = 0; i < 600 && !up; ++i) {
    const auto r = c.Get("/ping");
    up = r && r->status == 200;
    if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(up) << "no 200 from /ping on SAGEMAKER_BIND_TO_PORT " << port << "\n" << read_text(log);

  // SAGEMAKER_MAX_PAYLOAD_IN_MB=2: a 3 MB body is refused.
  const auto big = test::invoke(c, std::string(3 * 1024 * 1024, 'x'), "image/jpeg", "image/png");
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);

  const cv::Mat image = random_image(640, 640, 1, 9);
  const std::string jpeg = data::encode_jpeg(image, 90);
  ASSERT_LT(jpeg.size(), 2u * 1024 * 1024);
  std::chrono::steady_clock::time_point answered;
  auto in_flight = std::async(std::launch::async, [&] {
    httplib::Client client("127.0.0.1", port);
    client.set_read_timeout(120, 0);
    auto r = test::invoke(client, jpeg, "image/jpeg", "image/png");
    answered = std::chrono::steady_clock::now();
    return r;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto terminated = std::chrono::steady_clock::now();
  ASSERT_EQ(::kill(pid, SIGTERM), 0);
  const auto r = in_flight.get();
  ASSERT_TRUE(r) << "the request in flight was dropped\n" << read_text(log);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(data::decode_mask(r->body).size(), image.size());
  EXPECT_GT(answered, terminated) << "the request finished before SIGTERM: the drain was not exercised";
  EXPECT_EQ(wait_exit(pid, std::chrono::seconds(60)), 0) << read_text(log);
  const std::string text = read_text(log);
  EXPECT_NE(text.find("SIGTERM"), std::string::npos) << text;
}

TEST(ServeCli, ModelFlagAndMissingModel) {
  test::TempDir tmp;
  EXPECT_NE(test::run_cli("serve --model '" + (tmp / "missing.tar.gz").string() + "'", tmp / "log.txt"), 0);
  EXPECT_NE(read_text(tmp / "log.txt").find("model not found"), std::string::npos) << read_text(tmp / "log.txt");
}

TEST(PredictCli, BatchTransformWritesAnswersSkipsBadImagesAndResumes) {
  test::TempDir tmp;
  inference::write_artifact(tmp / "model.tar.gz", test::tiny_artifact(3, 64));
  fs::create_directories(tmp / "in");
  data::write_png((tmp / "in" / "a.png").string(), random_image(50, 40, 1, 9));
  std::ofstream(tmp / "in" / "b.jpg", std::ios::binary) << data::encode_jpeg(random_image(33, 47, 2, 9));
  std::ofstream(tmp / "in" / "bad.jpg", std::ios::binary) << "not a jpeg at all";
  std::ofstream(tmp / "in" / "notes.txt") << "ignored";
  const std::string common = "--threads 2 predict --model '" + (tmp / "model.tar.gz").string() + "' --input '" +
                             (tmp / "in").string() + "' ";

  const fs::path out = tmp / "out";
  ASSERT_EQ(test::run_cli(common + "--output '" + out.string() + "' --accept application/x-protobuf --overlay",
                          tmp / "log1.txt"),
            0)
      << read_text(tmp / "log1.txt");
  const std::string log1 = read_text(tmp / "log1.txt");
  EXPECT_NE(log1.find("bad.jpg"), std::string::npos) << log1;  // reported
  for (const auto& [name, size] : {std::make_pair("a.png.out", cv::Size(50, 40)), std::make_pair("b.jpg.out", cv::Size(33, 47))}) {
    ASSERT_TRUE(fs::exists(out / name)) << name << "\n" << log1;
    const auto records = sagemaker::read_recordio(read_text(out / name));
    ASSERT_EQ(records.size(), 1u);
    aialgs::data::Record record;
    ASSERT_TRUE(record.ParseFromString(records[0]));
    const auto& shape = record.features().at("shape").int32_tensor().values();
    EXPECT_EQ(std::vector<int>(shape.begin(), shape.end()), (std::vector<int>{1, 3, size.height, size.width}));
  }
  EXPECT_FALSE(fs::exists(out / "bad.jpg.out"));
  EXPECT_TRUE(fs::exists(out / "overlays" / "a.png"));
  EXPECT_TRUE(fs::exists(out / "overlays" / "b.png"));

  // A re-run skips what is done (the answers are not rewritten).
  const auto before = fs::last_write_time(out / "a.png.out");
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_EQ(test::run_cli(common + "--output '" + out.string() + "' --accept application/x-protobuf --overlay",
                          tmp / "log2.txt"),
            0);
  EXPECT_EQ(fs::last_write_time(out / "a.png.out"), before);
  EXPECT_NE(read_text(tmp / "log2.txt").find("2 of 3 images already have answers"), std::string::npos)
      << read_text(tmp / "log2.txt");

  // PNG masks: <stem>.png with the image's size (in-process, to spare a model load).
  BatchTransformOptions png;
  png.input = tmp / "in";
  png.output = tmp / "masks";
  png.accept = "image/png";
  png.progress = false;
  const inference::Predictor predictor(test::tiny_artifact(3, 64));
  const auto summary = run_batch_transform(png, predictor);
  EXPECT_EQ(summary.total, 3u);
  EXPECT_EQ(summary.written, 2u);
  ASSERT_EQ(summary.failed.size(), 1u);
  EXPECT_EQ(summary.failed[0].first.filename(), "bad.jpg");
  EXPECT_EQ(data::read_mask((png.output / "a.png").string()).size(), cv::Size(50, 40));
  EXPECT_EQ(data::read_mask((png.output / "b.png").string()).size(), cv::Size(33, 47));

  // A bad flag value is a user error.
  EXPECT_NE(test::run_cli(common + "--output '" + png.output.string() + "' --accept text/csv", tmp / "log4.txt"), 0);
  EXPECT_NE(read_text(tmp / "log4.txt").find("text/csv"), std::string::npos);
}

TEST(BatchTransform, AnswerNames) {
  const std::vector<fs::path> inputs{"x/a.jpg", "x/b.png", "x/b.jpg"};
  EXPECT_EQ(sagemaker::batch_transform_answer_names(inputs, ".out"), (std::vector<std::string>{"a.jpg.out", "b.png.out", "b.jpg.out"}));
  EXPECT_EQ(sagemaker::batch_transform_answer_names(inputs, ".png"), (std::vector<std::string>{"a.png", "b.png.png", "b.jpg.png"}));
}

}  // namespace
}  // namespace segmaker::serve
