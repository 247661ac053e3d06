// Writes the seed corpora of the fuzz targets (scripts/fuzz runs it into the build folder): small
// valid inputs of every kind each parser reads, and a few hostile ones (bombs, truncations), so
// that fuzzing starts from the shapes real files have. Usage: fuzz_seeds OUT_DIR
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "data/image_io.h"
#include "io/archive.h"
#include "inference/artifact.h"
#include "serve/codecs.h"
#include "serve/recordio.h"

namespace fs = std::filesystem;
using namespace segmaker;

namespace {

fs::path out_dir;

void put(const std::string& target, const std::string& name, const std::string& bytes) {
  fs::create_directories(out_dir / target);
  std::ofstream(out_dir / target / name, std::ios::binary) << bytes;
}

cv::Mat picture(int w, int h) {
  cv::Mat m(h, w, CV_8UC3);
  cv::randu(m, 0, 255);
  cv::GaussianBlur(m, m, cv::Size(5, 5), 0);
  return m;
}

std::string encoded(const cv::Mat& rgb, const char* ext, const std::vector<int>& params = {}) {
  std::vector<unsigned char> buf;
  cv::imencode(ext, rgb, buf, params);
  return {buf.begin(), buf.end()};
}

std::string gif_1x1_on(int width, int height) {
  const unsigned char b[] = {'G', 'I', 'F', '8', '9', 'a', static_cast<unsigned char>(width & 0xFF),
                             static_cast<unsigned char>(width >> 8), static_cast<unsigned char>(height & 0xFF),
                             static_cast<unsigned char>(height >> 8), 0x80, 0, 0, 0, 0, 0, 255, 255, 255,
                             0x21, 0xF9, 4, 1, 0, 0, 0, 0,  // graphics control: colour 0 transparent
                             0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x44, 0x01, 0, 0x3B};
  return std::string(reinterpret_cast<const char*>(b), sizeof b);
}

void image_seeds() {
  const cv::Mat m = picture(24, 16);
  put("fuzz_image_decode", "small.jpg", encoded(m, ".jpg"));
  put("fuzz_image_decode", "progressive.jpg", encoded(m, ".jpg", {cv::IMWRITE_JPEG_PROGRESSIVE, 1}));
  cv::Mat grey;
  cv::cvtColor(m, grey, cv::COLOR_BGR2GRAY);
  put("fuzz_image_decode", "grey.jpg", encoded(grey, ".jpg"));
  put("fuzz_image_decode", "small.png", encoded(m, ".png"));
  put("fuzz_image_decode", "grey.png", encoded(grey, ".png"));
  cv::Mat rgba;
  cv::cvtColor(m, rgba, cv::COLOR_BGR2BGRA);
  put("fuzz_image_decode", "rgba.png", encoded(rgba, ".png"));
  put("fuzz_image_decode", "small.bmp", encoded(m, ".bmp"));
  put("fuzz_image_decode", "small.webp", encoded(m, ".webp"));
  put("fuzz_image_decode", "small.tiff", encoded(m, ".tiff"));
  put("fuzz_image_decode", "transparent.gif", gif_1x1_on(3, 2));
  put("fuzz_image_decode", "screen-bomb.gif", gif_1x1_on(20000, 20000));
  std::string jpeg = encoded(m, ".jpg");
  put("fuzz_image_decode", "truncated.jpg", jpeg.substr(0, jpeg.size() / 2));
  put("fuzz_image_decode", "truncated-eoi.jpg", jpeg.substr(0, jpeg.size() / 2) + "\xFF\xD9");
  const auto sof = jpeg.find("\xFF\xC0");
  if (sof != std::string::npos) {
    jpeg[sof + 5] = static_cast<char>(0x4E), jpeg[sof + 6] = static_cast<char>(0x20);
    jpeg[sof + 7] = static_cast<char>(0x4E), jpeg[sof + 8] = static_cast<char>(0x20);
    put("fuzz_image_decode", "sof-bomb.jpg", jpeg);
  }
}

void json_seeds() {
  put("fuzz_hyperparameters", "sagemaker.json",
      R"({"backbone": "resnet-50", "algorithm": "fcn", "use_pretrained_model": "True", "num_classes": "3",
          "num_training_samples": "100", "base_size": "520", "crop_size": "240", "epochs": "10",
          "learning_rate": "0.001", "lr_scheduler": "step", "lr_scheduler_step": "3,6", "lr_scheduler_factor": "0.1",
          "mini_batch_size": "16", "optimizer": "sgd", "momentum": "0.9", "weight_decay": "0.0001",
          "early_stopping": "True", "early_stopping_min_epochs": "5", "_tuning_objective_metric": "validation:mIOU"})");
  put("fuzz_hyperparameters", "types.json",
      R"({"num_classes": 3, "num_training_samples": 10, "syncbn": true, "lr_scheduler_step": [1, 2], "aux_loss": 1,
          "output_stride": 16, "gamma1": 0.5, "warmup_epochs": 1, "seed": 7})");
  put("fuzz_hyperparameters", "empty.json", "{}");
  put("fuzz_label_map", "scale.json", R"({"scale": "1"})");
  put("fuzz_label_map", "scale3.json", R"({"scale": 3})");
  put("fuzz_label_map", "map.json", R"({"map": {"0": 5, "1": "0", "2": 2}})");
  put("fuzz_label_map", "duplicate.json", R"({"map": {"0": 1, "1": 1}})");
  put("fuzz_classes_json", "prepare.json",
      R"({"label_mode": "trimap", "num_classes": 3, "ignore_label": 255, "classes": {"0": "background", "1": "pet", "2": "boundary"}})");
  put("fuzz_classes_json", "array.json", R"(["background", "aeroplane", "bicycle"])");
  put("fuzz_classes_json", "minimal.json", R"({"classes": {"0": "a"}})");
}

void archive_seeds() {
  inference::ModelArtifact a;
  a.spec.algorithm = "fcn";
  a.spec.backbone = "resnet-18";
  a.spec.num_classes = 2;
  a.classes = {"background", "pet"};
  a.hyperparameters = {{"crop_size", 64}};
  a.metrics = {{"mIOU", 0.5}};
  a.weights = std::string("PK\x03\x04", 4) + std::string(60, 'w');  // the reader checks only the start
  const fs::path tmp = out_dir / "model.tar.gz";
  inference::write_artifact(tmp, a);
  std::ifstream in(tmp, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  put("fuzz_model_archive", "model.tar.gz", bytes);
  put("fuzz_model_archive", "cut.tar.gz", bytes.substr(0, bytes.size() / 2));
  fs::remove(tmp);
}

void recordio_seeds() {
  const std::vector<float> p{0.1f, 0.9f, 0.5f, 0.5f, 0.9f, 0.1f, 0.5f, 0.5f};
  const std::string answer = serve::encode_probabilities_recordio(p, 2, 2, 2);
  put("fuzz_recordio", "answer.rec", answer);
  put("fuzz_recordio", "two.rec", answer + answer);
  put("fuzz_recordio", "payload.rec", serve::frame_recordio("hello"));
}

void text_seeds() {
  put("fuzz_content_type", "png.txt", "image/png\nimage/jpeg");
  put("fuzz_content_type", "q.txt", "application/json;q=0.5, image/*;q=0.9, */*;q=0.1\napplication/x-image; charset=binary");
  put("fuzz_content_type", "proto.txt", "application/x-recordio-protobuf\napplication/x-www-form-urlencoded");
  put("fuzz_content_type", "star.txt", "*\n");
}

void http_seeds() {
  const std::string jpeg = encoded(picture(16, 12), ".jpg");
  const auto post = [&](const std::string& headers, const std::string& body) {
    return "POST /invocations HTTP/1.1\r\nHost: x\r\n" + headers + "Content-Length: " + std::to_string(body.size()) +
           "\r\n\r\n" + body;
  };
  put("fuzz_http_request", "ping.http", "GET /ping HTTP/1.1\r\nHost: x\r\n\r\n");
  put("fuzz_http_request", "params.http", "GET /execution-parameters HTTP/1.1\r\n\r\nHEAD / HTTP/1.1\r\n\r\n");
  put("fuzz_http_request", "png.http", post("Content-Type: image/jpeg\r\nAccept: image/png\r\n", jpeg));
  put("fuzz_http_request", "json.http", post("Content-Type: application/x-image\r\nAccept: application/json\r\n", jpeg));
  put("fuzz_http_request", "recordio.http", post("Accept: application/x-recordio-protobuf\r\n", jpeg));
  put("fuzz_http_request", "chunked.http",
      "POST /invocations HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Type: image/jpeg\r\n\r\n" +
          [&] {
            char size[16];
            std::snprintf(size, sizeof size, "%zx", jpeg.size());
            return std::string(size) + "\r\n" + jpeg + "\r\n0\r\n\r\n";
          }());
  put("fuzz_http_request", "expect.http", post("Expect: 100-continue\r\n", jpeg));
  put("fuzz_http_request", "pipelined.http", post("", jpeg) + "GET /ping HTTP/1.1\r\nConnection: close\r\n\r\n");
  put("fuzz_http_request", "bad.http", "GET /%FF HTTP/1.1\r\nRange: bytes=0-1,2-3\r\n\r\nPOST /invocations HTTP/1.1\r\n\r\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: fuzz_seeds OUT_DIR\n";
    return 2;
  }
  out_dir = argv[1];
  fs::create_directories(out_dir);
  image_seeds();
  json_seeds();
  archive_seeds();
  recordio_seeds();
  text_seeds();
  http_seeds();
  return 0;
}
