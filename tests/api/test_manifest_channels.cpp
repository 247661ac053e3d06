// ManifestFile channels (S3DataType "ManifestFile"): the channel is exactly the objects the manifest
// lists -- an unlisted image is not trained on -- and a manifest that is malformed, or lists an object
// that does not exist, fails the job with a reason naming the manifest or the object. In-process
// service, tiny synthetic data as file:// URIs.
#include <gtest/gtest.h>

#include "api/api_fixture.h"
#include "api/service.h"
#include "io/paths.h"
#include "support/synthetic_data.h"

namespace segmaker::api {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using test::ApiServer;

// The train and train_annotation channels as manifests listing `count` of the channel's files
// (sorted), written next to the data; `edit` may change the manifests' text.
json manifest_request(const ApiServer& api, const std::string& name, const fs::path& data, std::size_t count,
                      const std::function<void(json& images, json& masks)>& edit = {}) {
  json request = test::training_job_request(name, data, api.temp() / "out");
  json images = json::array({{{"prefix", "file://" + (data / "train").string() + "/"}}});
  json masks = json::array({{{"prefix", "file://" + (data / "train_annotation").string() + "/"}}});
  const auto files = io::list_files(data / "train", {".jpg", ".png"});
  for (std::size_t i = 0; i < count && i < files.size(); ++i) {
    images.push_back(files[i].filename().string());
    masks.push_back(files[i].stem().string() + ".png");
  }
  if (edit) edit(images, masks);
  io::write_file_atomic(api.temp() / (name + "-train.manifest"), images.is_string() ? images.get<std::string>() : images.dump());
  io::write_file_atomic(api.temp() / (name + "-masks.manifest"), masks.dump());
  for (auto& channel : request["InputDataConfig"]) {
    const std::string c = channel["ChannelName"];
    if (c != "train" && c != "train_annotation") continue;
    channel["DataSource"]["S3DataSource"]["S3DataType"] = "ManifestFile";
    channel["DataSource"]["S3DataSource"]["S3Uri"] =
        "file://" + (api.temp() / (name + (c == "train" ? "-train.manifest" : "-masks.manifest"))).string();
  }
  return request;
}

TEST(ManifestChannels, TheChannelIsExactlyTheListedObjects) {
  ApiServer api;
  const fs::path data = api.temp() / "data";
  test::write_synthetic_data(data, 10);
  json request = manifest_request(api, "listed", data, 8);  // 8 of the 10 training images
  ASSERT_EQ(api.call("CreateTrainingJob", request).status, 200);
  const json job = api.wait_training_job("listed");
  const std::string log = read_log(api.root(), "training-jobs", "listed");
  ASSERT_EQ(job["TrainingJobStatus"], "Completed") << job.dump(2) << log;
  EXPECT_NE(log.find("8 train / 4 validation images"), std::string::npos) << log;
}

TEST(ManifestChannels, BadManifestsFailTheJobNamingWhy) {
  ApiServer api;
  const fs::path data = api.temp() / "data";
  test::write_synthetic_data(data);
  struct Case {
    std::string name;
    std::function<void(json&, json&)> edit;
    std::string expected;
  };
  const std::vector<Case> cases{
      {"missing", [](json& images, json&) { images.push_back("not-there.jpg"); }, "not-there.jpg, which cannot be read"},
      {"malformed", [](json& images, json&) { images = "[{\"prefix\": "; }, "is not a JSON array"},
      {"escape", [](json& images, json&) { images.push_back("../validation/x.jpg"); }, "has a '..' path segment"},
      {"empty", [](json& images, json&) { images = json::array({images[0]}); }, "lists no object"},
  };
  for (const auto& c : cases) {
    ASSERT_EQ(api.call("CreateTrainingJob", manifest_request(api, c.name, data, 8, c.edit)).status, 200) << c.name;
    const json job = api.wait_training_job(c.name);
    EXPECT_EQ(job["TrainingJobStatus"], "Failed") << c.name;
    const std::string reason = job.value("FailureReason", "");
    EXPECT_EQ(reason.rfind("ClientError: channel 'train'", 0), 0u) << reason;
    EXPECT_NE(reason.find(c.expected), std::string::npos) << c.name << ": " << reason;
  }
}

}  // namespace
}  // namespace segmaker::api
