// The container image's entrypoint (docker/entrypoint.sh), run the way SageMaker runs a
// bring-your-own container — `IMAGE train`, then `IMAGE serve` — against an /opt/ml folder. No
// container runtime runs here: the script is executed directly with SM_ROOT pointing at the folder.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <unistd.h>

#include <fstream>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "io/free_port.h"
#include "io/paths.h"
#include "support/process.h"
#include "support/test_util.h"
#include "train/synthetic.h"

namespace segmaker::test {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

const std::string kEntrypoint = std::string(SEGMAKER_SOURCE_DIR) + "/docker/entrypoint.sh";

pid_t spawn_entrypoint(const std::vector<std::string>& args, const fs::path& log,
                       const std::vector<std::pair<std::string, std::string>>& env) {
  const pid_t pid = fork();
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> argv{const_cast<char*>("/bin/sh"), const_cast<char*>(kEntrypoint.c_str())};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv("/bin/sh", argv.data());
    _exit(127);
  }
  return pid;
}

TEST(Container, EntrypointTrainsThenServesFromOptMl) {
  TempDir dir;
  const fs::path root = dir / "opt" / "ml";
  write_synthetic_data(root / "input" / "data");
  json hp = tiny_hyperparameters();
  hp["epochs"] = "1";
  io::write_file_atomic(root / "input" / "config" / "hyperparameters.json", hp.dump());
  json channels = json::object();
  for (const char* c : {"train", "validation", "train_annotation", "validation_annotation"})
    channels[c] = {{"TrainingInputMode", "File"}, {"S3DistributionType", "FullyReplicated"}};
  io::write_file_atomic(root / "input" / "config" / "inputdataconfig.json", channels.dump());
  io::write_file_atomic(root / "input" / "config" / "resourceconfig.json",
                        json{{"current_host", "algo-1"}, {"hosts", {"algo-1"}}}.dump());
  const std::vector<std::pair<std::string, std::string>> env{{"SEGMAKER", SEGMAKER_BINARY}, {"SM_ROOT", root.string()}};

  // `docker run IMAGE train`
  ASSERT_EQ(wait_exit(spawn_entrypoint({"train"}, dir / "train.log", env), std::chrono::minutes(5)), 0)
      << io::read_file(dir / "train.log");
  EXPECT_TRUE(fs::exists(root / "model" / "model.json"));
  EXPECT_FALSE(fs::exists(root / "output" / "failure"));
  EXPECT_NE(io::read_file(dir / "train.log").find("#quality_metric: host=algo-1, epoch=1"), std::string::npos);

  // `docker run IMAGE serve`: SageMaker gives the port in SAGEMAKER_BIND_TO_PORT.
  const int port = io::free_port();
  auto serve_env = env;
  serve_env.emplace_back("SAGEMAKER_BIND_TO_PORT", std::to_string(port));
  const pid_t server = spawn_entrypoint({"serve"}, dir / "serve.log", serve_env);
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(60, 0);
  ASSERT_TRUE(wait_until([&] {
    auto r = client.Get("/ping");
    return r && r->status == 200;
  }, std::chrono::seconds(60))) << io::read_file(dir / "serve.log");
  const std::string image = io::read_file(io::list_files(root / "input" / "data" / "validation", {".jpg"}).front());
  auto answer = client.Post("/invocations", {{"Accept", "image/png"}}, image, "image/jpeg");
  ASSERT_TRUE(answer);
  ASSERT_EQ(answer->status, 200) << answer->body;
  const cv::Mat mask = cv::imdecode(std::vector<uchar>(answer->body.begin(), answer->body.end()), cv::IMREAD_UNCHANGED);
  EXPECT_EQ(mask.cols, 40);
  EXPECT_EQ(mask.rows, 40);
  kill(server, SIGTERM);
  EXPECT_EQ(wait_exit(server, std::chrono::seconds(30)), 0) << "SIGTERM drains and exits 0 (exec: the script is the server)";

  // A failing job writes /opt/ml/output/failure, as SageMaker reads it.
  hp["num_classes"] = "1";
  io::write_file_atomic(root / "input" / "config" / "hyperparameters.json", hp.dump());
  fs::remove_all(root / "checkpoints");
  EXPECT_NE(wait_exit(spawn_entrypoint({"train"}, dir / "fail.log", env), std::chrono::minutes(2)), 0);
  EXPECT_NE(io::read_file(root / "output" / "failure").find("num_classes"), std::string::npos);
}

TEST(Container, DockerfileRunsTheEntrypoint) {
  const std::string dockerfile = io::read_file(std::string(SEGMAKER_SOURCE_DIR) + "/Dockerfile");
  EXPECT_NE(dockerfile.find("FROM debian:12"), std::string::npos);
  EXPECT_NE(dockerfile.find("scripts/install-deps"), std::string::npos);
  EXPECT_NE(dockerfile.find("docker/entrypoint.sh /usr/local/bin/segmaker-entrypoint"), std::string::npos);
  EXPECT_NE(dockerfile.find("ENTRYPOINT [\"/usr/local/bin/segmaker-entrypoint\"]"), std::string::npos);
  EXPECT_EQ(access(kEntrypoint.c_str(), X_OK), 0) << "the entrypoint is executable";
}

}  // namespace
}  // namespace segmaker::test
