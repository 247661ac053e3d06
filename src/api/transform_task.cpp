// One instance of a batch transform on a cluster node (see transform_task.h).
#include "api/transform_task.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "api/cluster_instance.h"
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
  TransformTask(const TransformTaskOptions& o, const std::function<bool()>& stop) : o_(o), stop_(stop), me_(o.job_file, o.task) {}

  int run() {
    return me_.run([&] {
      const auto share = download();
      finish(share.empty() ? 0 : predict());
      return me_.result()["exit_status"].get<int>();
    });
  }

 private:
  std::vector<std::string> download() {
    doc_ = me_.read_document("TransformJobName");
    root_ = me_.fresh_root(o_.scratch, doc_.at("TransformJobName"));
    const std::string input_uri = doc_.at("TransformInput").at("DataSource").at("S3DataSource").at("S3Uri");
    const storage::Location prefix = storage::parse_location(as_folder_uri(input_uri));
    auto store = storage::open_storage(prefix, o_.storage);
    std::vector<std::string> relative;
    for (const auto& object : store->list(prefix))
      relative.push_back(prefix.is_s3() ? object.key.substr(std::min(object.key.size(), prefix.key.size())) : object.key);
    if (relative.empty()) throw UserError("No S3 objects found under S3 URL \"" + input_uri + "\" given in the transform input");
    const auto share = transform_share(relative, o_.task.rank, o_.task.instances);
    me_.say(std::to_string(share.size()) + " of the " + std::to_string(relative.size()) + " objects under " + input_uri +
            " are this instance's");
    me_.result()["inputs"] = share.size();
    for (const auto& key : share) store->read_to_file(prefix.child(key), root_ / "input" / key);
    if (!share.empty()) storage::download_file(doc_.at("_ModelDataUrl").get<std::string>(), root_ / "model.tar.gz", o_.storage);
    return share;
  }

  int predict() {
    if (stop_()) return 143;
    ChildSpec spec;  // no log file: its output is the job's log
    spec.executable = o_.executable;
    if (o_.threads > 0) spec.args = {"--threads", std::to_string(o_.threads)};
    spec.args.insert(spec.args.end(), {"predict", "--model", (root_ / "model.tar.gz").string(), "--input", (root_ / "input").string(),
                                       "--output", (root_ / "output").string(), "--accept", accept()});
    for (const auto& [key, value] : doc_.value("Environment", json::object()).items())
      spec.environment.emplace_back(key, value.get<std::string>());
    return me_.run_worker(spec, stop_);
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
      me_.say(std::to_string(answered) + " answers uploaded to " + output_uri);
    }
    json& result = me_.result();
    result["answered"] = answered;
    result["missing"] = missing;
    if (missing) result["failure"] = std::to_string(missing) + " images could not be transformed (first: " + first_missing + ")";
    result["exit_status"] = status != 0 ? status : missing ? 1 : 0;
    me_.write_result();
    fs::remove_all(root_);
  }

  const TransformTaskOptions& o_;
  std::function<bool()> stop_;
  ClusterInstance me_;
  json doc_;
  fs::path root_;
};

}  // namespace

int run_transform_task(const TransformTaskOptions& options, const std::function<bool()>& stop_requested) {
  return TransformTask(options, stop_requested).run();
}

}  // namespace segmaker::api
