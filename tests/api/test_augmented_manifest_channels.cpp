// AugmentedManifestFile channels as SageMaker Ground Truth writes them: JSON Lines with "source-ref", a
// "<labels>-ref" mask and its "<labels>-ref-metadata" (internal-color-map). A single train and a single
// validation channel replace the four folder channels; colour masks map to class ids through the colour
// map; lines that miss an attribute, reference a missing object or pair an image with a mask of another
// size are skipped and reported in the job's log; a malformed line, AttributeNames that no line has, and
// a missing AttributeNames are errors that say so. In-process service, tiny synthetic data as file:// URIs.
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

#include "api/api_fixture.h"
#include "api/service.h"
#include "io/paths.h"
#include "support/synthetic_data.h"

namespace segmaker::api {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using test::ApiServer;

// Ground Truth's colour map for the synthetic data's classes (0 background, 1 square).
json color_map() {
  return {{"0", {{"class-name", "BACKGROUND"}, {"hex-color", "#ffffff"}, {"confidence", 0.0}}},
          {"1", {{"class-name", "square"}, {"hex-color", "#2ca02c"}, {"confidence", 0.0}}}};
}

// Rewrites the channel's masks as Ground Truth colour pictures (RGB PNGs, no palette) in `dir`; Ground
// Truth has no ignore label, so the synthetic 255 border becomes background.
void write_color_masks(const fs::path& data, const std::string& channel, const fs::path& dir) {
  fs::create_directories(dir);
  for (const auto& f : io::list_files(data / (channel + "_annotation"), {".png"})) {
    const cv::Mat ids = cv::imread(f.string(), cv::IMREAD_UNCHANGED);
    cv::Mat bgr(ids.size(), CV_8UC3);
    for (int y = 0; y < ids.rows; ++y)
      for (int x = 0; x < ids.cols; ++x) {
        const int id = ids.at<std::uint8_t>(y, x);
        bgr.at<cv::Vec3b>(y, x) = id == 1 ? cv::Vec3b(0x2c, 0xa0, 0x2c) : cv::Vec3b(255, 255, 255);  // BGR
      }
    cv::imwrite((dir / f.filename()).string(), bgr);
  }
}

// One Ground Truth line per image of the channel.
std::vector<json> ground_truth_lines(const fs::path& data, const std::string& channel, const fs::path& masks) {
  std::vector<json> lines;
  for (const auto& f : io::list_files(data / channel, {".jpg"}))
    lines.push_back({{"source-ref", "file://" + f.string()},
                     {"pets-ref", "file://" + (masks / (f.stem().string() + ".png")).string()},
                     {"pets-ref-metadata",
                      {{"internal-color-map", color_map()},
                       {"type", "groundtruth/semantic-segmentation"},
                       {"human-annotated", "yes"},
                       {"creation-date", "2026-12-01T10:00:00.000000"},
                       {"job-name", "labeling-job/pets"}}}});
  return lines;
}

std::string write_manifest(const ApiServer& api, const std::string& file, const std::vector<json>& lines) {
  std::string text;
  for (const auto& l : lines) text += (l.is_string() ? l.get<std::string>() : l.dump()) + "\n";
  io::write_file_atomic(api.temp() / file, text);
  return "file://" + (api.temp() / file).string();
}

json augmented_request(const ApiServer& api, const std::string& name, const std::string& train_uri,
                       const std::string& validation_uri, int samples, const json& attributes = {"source-ref", "pets-ref"}) {
  json request = test::training_job_request(name, api.temp() / "unused", api.temp() / "out");
  request["HyperParameters"]["num_training_samples"] = std::to_string(samples);
  request["InputDataConfig"] = json::array();
  for (const auto& [channel, uri] : {std::pair{"train", train_uri}, std::pair{"validation", validation_uri}}) {
    json source = {{"S3DataType", "AugmentedManifestFile"}, {"S3Uri", uri}};
    if (!attributes.is_null()) source["AttributeNames"] = attributes;
    request["InputDataConfig"].push_back({{"ChannelName", channel},
                                          {"ContentType", "application/x-recordio"},
                                          {"RecordWrapperType", "RecordIO"},
                                          {"DataSource", {{"S3DataSource", source}}}});
  }
  return request;
}

TEST(AugmentedManifestChannels, GroundTruthOutputTrainsAsIsAndBadLinesAreReported) {
  ApiServer api;
  const fs::path data = api.temp() / "data";
  test::write_synthetic_data(data, 10, 4);
  write_color_masks(data, "train", api.temp() / "masks");
  write_color_masks(data, "validation", api.temp() / "masks");
  auto train = ground_truth_lines(data, "train", api.temp() / "masks");
  train[1].erase("pets-ref");                                                    // a line without its label
  train[2]["pets-ref"] = "file://" + (api.temp() / "masks" / "gone.png").string();  // a missing object
  cv::imwrite((api.temp() / "masks" / "small.png").string(), cv::Mat(20, 20, CV_8UC3, cv::Scalar(255, 255, 255)));
  train[3]["pets-ref"] = "file://" + (api.temp() / "masks" / "small.png").string();  // a mask of another size
  const std::string train_uri = write_manifest(api, "train.manifest", train);
  const std::string val_uri = write_manifest(api, "validation.manifest", ground_truth_lines(data, "validation", api.temp() / "masks"));

  ASSERT_EQ(api.call("CreateTrainingJob", augmented_request(api, "gt", train_uri, val_uri, 7)).status, 200);
  const json job = api.wait_training_job("gt");
  const std::string log = read_log(api.root(), "training-jobs", "gt");
  ASSERT_EQ(job["TrainingJobStatus"], "Completed") << job.dump(2) << log;
  EXPECT_NE(log.find("channel 'train': 8 of 10 augmented manifest lines staged (masks read through the manifest's "
                     "internal-color-map); 2 skipped: line 2 has no attribute 'pets-ref'; line 3 references"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("gone.png, which cannot be read"), std::string::npos) << log;
  EXPECT_NE(log.find("channel 'train': 1 of 8 image/annotation pairs skipped: train_3: mask 20x20 but image 40x40"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("7 train / 4 validation images"), std::string::npos) << log;
}

TEST(AugmentedManifestChannels, BadManifestsFailTheJobNamingWhy) {
  ApiServer api;
  const fs::path data = api.temp() / "data";
  test::write_synthetic_data(data);
  write_color_masks(data, "train", api.temp() / "masks");
  write_color_masks(data, "validation", api.temp() / "masks");
  const auto good = ground_truth_lines(data, "train", api.temp() / "masks");
  const std::string val_uri = write_manifest(api, "v.manifest", ground_truth_lines(data, "validation", api.temp() / "masks"));
  struct Case {
    std::string name;
    std::vector<json> lines;
    json attributes;
    std::string expected;
  };
  auto with = [&](std::size_t at, const json& line) {
    auto lines = good;
    lines.insert(lines.begin() + static_cast<long>(at), line);
    return lines;
  };
  json other_colors = good[0];
  other_colors["pets-ref-metadata"]["internal-color-map"]["1"]["hex-color"] = "#ff0000";
  json bad_hex = good[0];
  bad_hex["pets-ref-metadata"]["internal-color-map"]["1"]["hex-color"] = "green";
  const std::vector<Case> cases{
      {"malformed", with(3, json("{\"source-ref\": \"file:///x.jpg\", ")), json{"source-ref", "pets-ref"}, "line 4 is not a JSON object"},
      {"unknown-attribute", good, json{"source-ref", "labels-ref"}, "no line of the manifest has the attribute 'labels-ref'"},
      {"bad-color-map", with(0, bad_hex), json{"source-ref", "pets-ref"}, "line 1: internal-color-map: class 1 needs \"hex-color\""},
      {"all-missing", {json{{"source-ref", "file:///nowhere/a.jpg"}, {"pets-ref", "file:///nowhere/a.png"}}},
       json{"source-ref", "pets-ref"}, "0 of 1 augmented manifest lines staged; 1 skipped: line 1 references file:///nowhere/a.jpg"},
  };
  for (const auto& c : cases) {
    const std::string uri = write_manifest(api, c.name + ".manifest", c.lines);
    ASSERT_EQ(api.call("CreateTrainingJob", augmented_request(api, c.name, uri, val_uri, 8, c.attributes)).status, 200) << c.name;
    const json job = api.wait_training_job(c.name);
    EXPECT_EQ(job["TrainingJobStatus"], "Failed") << c.name;
    const std::string reason = job.value("FailureReason", "");
    EXPECT_EQ(reason.rfind("ClientError: ", 0), 0u) << reason;
    EXPECT_NE(reason.find(c.expected), std::string::npos) << c.name << ": " << reason;
  }
  // A line whose colour map differs from the first line's is skipped, not trained with the wrong classes.
  const std::string uri = write_manifest(api, "differs.manifest", with(2, other_colors));
  ASSERT_EQ(api.call("CreateTrainingJob", augmented_request(api, "differs", uri, val_uri, 8)).status, 200);
  const json job = api.wait_training_job("differs");
  const std::string log = read_log(api.root(), "training-jobs", "differs");
  EXPECT_EQ(job["TrainingJobStatus"], "Completed") << job.dump(2) << log;
  EXPECT_NE(log.find("line 3 its internal-color-map differs from line 1's"), std::string::npos) << log;
}

TEST(AugmentedManifestChannels, AttributeNamesAreCheckedWhenTheJobIsCreated) {
  ApiServer api;
  const std::string uri = "file://" + (api.temp() / "m.manifest").string();
  for (const auto& [attributes, expected] :
       {std::pair{json(), "needs AttributeNames"}, std::pair{json{"source-ref"}, "two attributes"},
        std::pair{json{"source-ref", "class"}, "names ending in -ref"}}) {
    const auto answer = api.call("CreateTrainingJob", augmented_request(api, "names", uri, uri, 8, attributes));
    EXPECT_EQ(answer.status, 400) << attributes.dump();
    EXPECT_NE(answer.body.dump().find(expected), std::string::npos) << answer.body.dump();
    EXPECT_NE(answer.body.dump().find("attributeNames"), std::string::npos) << answer.body.dump();
  }
  json both = augmented_request(api, "both", uri, uri, 8);
  both["InputDataConfig"].push_back(
      {{"ChannelName", "train_annotation"}, {"DataSource", {{"S3DataSource", {{"S3DataType", "S3Prefix"}, {"S3Uri", uri}}}}}});
  ASSERT_EQ(api.call("CreateTrainingJob", both).status, 200);
  const json job = api.wait_training_job("both");
  EXPECT_NE(job.value("FailureReason", "").find("drop the channel 'train_annotation'"), std::string::npos) << job.dump(2);
}

}  // namespace
}  // namespace segmaker::api
