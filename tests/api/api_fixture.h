#pragma once
// An in-process `segmaker api` on a free loopback port with its own root folder, and a client that
// speaks the control plane's wire protocol (POST /, X-Amz-Target, application/x-amz-json-1.1).
#include <httplib.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "api/service.h"
#include "support/test_util.h"

namespace segmaker::test {

struct ApiReply {
  int status = 0;
  nlohmann::json body;
  std::string type() const { return body.is_object() ? body.value("__type", std::string()) : std::string(); }
  std::string message() const { return body.is_object() ? body.value("message", std::string()) : std::string(); }
};

class ApiServer {
 public:
  explicit ApiServer(api::ServiceOptions options = {}, const std::filesystem::path& root = {}) {
    options.host = "127.0.0.1";
    options.port = 0;
    options.root = root.empty() ? dir_.path() / "root" : root;
    options.executable = SEGMAKER_BINARY;
    options.threads = options.threads ? options.threads : 1;
    // Requests may name local paths under the test's own folder (the operator's --allow-local-path).
    if (options.allowed_local_paths.empty()) options.allowed_local_paths = {dir_.path()};
    root_ = options.root;
    service_ = std::make_unique<api::Service>(options);
    port_ = service_->start();
  }
  ~ApiServer() { service_->stop(); }

  int port() const { return port_; }
  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path temp() const { return dir_.path(); }
  void stop() { service_->stop(); }

  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(120, 0);
    return c;
  }

  // One control-plane call; `raw_body` replaces the JSON when given.
  ApiReply call(const std::string& operation, const nlohmann::json& request = nlohmann::json::object(),
                const std::string* raw_body = nullptr) const {
    return call_target("SageMaker." + operation, request, raw_body);
  }
  // A call of another JSON service on the same listener ("Logs_20140328.GetLogEvents", …).
  ApiReply call_target(const std::string& target, const nlohmann::json& request = nlohmann::json::object(),
                       const std::string* raw_body = nullptr) const {
    auto c = client();
    httplib::Headers headers{{"X-Amz-Target", target}};
    const bool json10 = target.rfind("GraniteServiceVersion20100801.", 0) == 0;
    auto res = c.Post("/", headers, raw_body ? *raw_body : request.dump(),
                      json10 ? "application/x-amz-json-1.0" : "application/x-amz-json-1.1");
    ApiReply r;
    if (!res) return r;
    r.status = res->status;
    r.body = nlohmann::json::parse(res->body, nullptr, false);
    return r;
  }

  // Polls DescribeTrainingJob until the job is neither InProgress nor Stopping; the last document.
  nlohmann::json wait_training_job(const std::string& name) const {
    return wait_while("DescribeTrainingJob", {{"TrainingJobName", name}}, "TrainingJobStatus", {"InProgress", "Stopping"});
  }

  // Polls Describe<kind> until `field` leaves `while_value`s; returns the last document.
  nlohmann::json wait_while(const std::string& operation, const nlohmann::json& request, const std::string& field,
                            const std::vector<std::string>& while_values,
                            std::chrono::seconds timeout = std::chrono::seconds(180)) const {
    const auto end = std::chrono::steady_clock::now() + timeout;
    nlohmann::json doc;
    while (std::chrono::steady_clock::now() < end) {
      doc = call(operation, request).body;
      const std::string value = doc.is_object() ? doc.value(field, std::string()) : std::string();
      if (std::find(while_values.begin(), while_values.end(), value) == while_values.end()) return doc;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return doc;
  }

 private:
  TempDir dir_;
  std::filesystem::path root_;
  std::unique_ptr<api::Service> service_;
  int port_ = 0;
};

// A CreateTrainingJob request for channels under `data` (a local folder; file:// URIs).
inline nlohmann::json training_job_request(const std::string& name, const std::filesystem::path& data,
                                           const std::filesystem::path& output, int epochs = 1) {
  nlohmann::json channels = nlohmann::json::array();
  for (const char* c : {"train", "train_annotation", "validation", "validation_annotation"})
    channels.push_back({{"ChannelName", c},
                        {"DataSource", {{"S3DataSource", {{"S3DataType", "S3Prefix"}, {"S3Uri", "file://" + (data / c).string()}}}}}});
  return {{"TrainingJobName", name},
          {"HyperParameters",
           {{"backbone", "resnet-18"}, {"use_pretrained_model", "False"}, {"num_classes", "2"},
            {"num_training_samples", "8"}, {"epochs", std::to_string(epochs)}, {"mini_batch_size", "4"},
            {"validation_mini_batch_size", "4"}, {"crop_size", "32"}, {"base_size", "40"}, {"output_stride", "16"},
            {"seed", "7"}, {"data_workers", "1"}}},
          {"AlgorithmSpecification", {{"TrainingImage", "semantic-segmentation"}, {"TrainingInputMode", "File"}}},
          {"RoleArn", "arn:aws:iam::000000000000:role/dummy"},
          {"InputDataConfig", channels},
          {"OutputDataConfig", {{"S3OutputPath", "file://" + output.string()}}},
          {"ResourceConfig", {{"InstanceType", "ml.c5.xlarge"}, {"InstanceCount", 1}, {"VolumeSizeInGB", 1}}},
          {"StoppingCondition", {{"MaxRuntimeInSeconds", 3600}}}};
}

}  // namespace segmaker::test
