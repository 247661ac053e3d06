// One instance of a batch transform on a cluster node (see transform_task.h).
#include "api/transform_task.h"

#include <algorithm>
#include <iostream>

#include <nlohmann/json.hpp>

#include "api/child_process.h"
#include "api/names.h"
#include "io/error.h"
#include "io/paths.h"
#include "sagemaker/content_type.h"
#include "sagemaker/transform_output.h"
#include "storage/transfer.h"

namespace segmaker::api {

namespace fs = std::filesystem;
using json = nlohmann::json;

std::vector<std::string> transform_share(std::vector<std::string> keys, int rank, int instances) {
  std::sort(keys.begin(), keys.end());
  std::vector<std::string> share;
  for (std::size_t i = 0; i < keys.size(); ++i)
    if (static_cast<int>(i % static_cast<std::size_t>(std::max(instances, 1))) == rank) share.push_back(keys[i]);
  return share;
}

namespace {

class TransformTask {
 public:
  TransformTask(const TransformTaskOptions& o, const std::function<bool()>& stop)
      : o_(o), stop_(stop), files_{o.job_file.parent_path().parent_path()}, host_(o.task.host()) {}

  int run() {
    result_ = {{"host", host_}, {"node", o_.task.node}, {"rank", o_.task.rank}, {"exit_status", -1}, {"stopped", false}};
    try {
      const auto share = download();
      const int status = share.empty() ? 0 : predict();
      finish(status);
      return result_["exit_status"].get<int>();
    } catch (const std::exception& e) {
      result_["failure"] = e.what();
      say(std::string("failed: ") + e.what());
      io::write_file_atomic(files_.result(host_), result_.dump(2));
      throw;
    }
  }

 private:
  void say(const std::string& line) const { std::cout << "[" << host_ << " on " << o_.task.node << "] " << line << std::endl; }

  std::vector<std::string> download() {
    if (!fs::is_regular_file(o_.job_file)) throw UserError("the job file '" + o_.job_file.string() + "' is not visible on this node");
    doc_ = json::parse(io::read_file(o_.job_file), nullptr, false);
    if (!doc_.is_object() || !doc_.contains("TransformJobName")) throw UserError("'" + o_.job_file.string() + "' is not a transform job");
    root_ = o_.scratch / doc_.at("TransformJobName").get<std::string>() / host_;
    fs::remove_all(root_);
    const std::string input_uri = doc_.at("TransformInput").at("DataSource").at("S3DataSource").at("S3Uri");
    const storage::Location prefix = storage::parse_location(as_folder_uri(input_uri));
    auto store = storage::open_storage(prefix, o_.storage);
    std::vector<std::string> relative;
    for (const auto& object : store->list(prefix))
      relative.push_back(prefix.is_s3() ? object.key.substr(std::min(object.key.size(), prefix.key.size())) : object.key);
    if (relative.empty()) throw UserError("No S3 objects found under S3 URL \"" + input_uri + "\" given in the transform input");
    const auto share = transform_share(relative, o_.task.rank, o_.task.instances);
    say(std::to_string(share.size()) + " of the " + std::to_string(relative.size()) + " objects under " + input_uri + " are this instance's");
    result_["inputs"] = share.size();
    for (const auto& key : share) store->read_to_file(prefix.child(key), root_ / "input" / key);
    if (!share.empty()) storage::download_file(doc_.at("_ModelDataUrl").get<std::string>(), root_ / "model.tar.gz", o_.storage);
    return share;
  }

  int predict() {
    if (stop_()) return 143;
    ChildSpec spec;
    spec.executable = o_.executable;
    if (o_.threads > 0) spec.args = {"--threads", std::to_string(o_.threads)};
    spec.args.insert(spec.args.end(), {"predict", "--model", (root_ / "model.tar.gz").string(), "--input", (root_ / "input").string(),
                                       "--output", (root_ / "output").string(), "--accept", accept()});
    for (const auto& [key, value] : doc_.value("Environment", json::object()).items())
      spec.environment.emplace_back(key, value.get<std::string>());
    ChildProcess child(spec);  // no log file: its output is the job's log
    WaitHooks hooks;
    hooks.grace = std::chrono::hours(24);  // Slurm's KillWait ends it
    hooks.stop_requested = stop_;
    hooks.on_stop = [&] {
      result_["stopped"] = true;
      say("SIGTERM: stopping");
    };
    return child.wait(hooks);
  }

  std::string accept() const { return doc_.at("TransformOutput").value("Accept", "image/png"); }

  void finish(int status) {
    std::size_t answered = 0, missing = 0;
    std::string first_missing;
    if (fs::is_directory(root_ / "input")) {
      const auto inputs = sagemaker::batch_transform_inputs(root_ / "input");
      const auto answers = sagemaker::batch_transform_answer_names(
          inputs, sagemaker::answer_file_extension(sagemaker::answer_type_from_name(accept()).format));
      const std::string output_uri = doc_.at("TransformOutput").at("S3OutputPath");
      for (std::size_t i = 0; i < inputs.size(); ++i) {
        const fs::path answer = root_ / "output" / answers[i];
        if (!fs::exists(answer)) {
          if (missing++ == 0) first_missing = inputs[i].filename().string();
          continue;
        }
        storage::upload_file(answer, join_uri(output_uri, inputs[i].filename().string() + ".out"), o_.storage);
        ++answered;
      }
      say(std::to_string(answered) + " answers uploaded to " + output_uri);
    }
    result_["answered"] = answered;
    result_["missing"] = missing;
    if (missing) result_["failure"] = std::to_string(missing) + " images could not be transformed (first: " + first_missing + ")";
    result_["exit_status"] = status != 0 ? status : missing ? 1 : 0;
    io::write_file_atomic(files_.result(host_), result_.dump(2));
    fs::remove_all(root_);
  }

  const TransformTaskOptions& o_;
  std::function<bool()> stop_;
  ClusterJobFiles files_;
  std::string host_;
  json doc_;
  fs::path root_;
  json result_;
};

}  // namespace

int run_transform_task(const TransformTaskOptions& options, const std::function<bool()>& stop_requested) {
  return TransformTask(options, stop_requested).run();
}

}  // namespace segmaker::api
