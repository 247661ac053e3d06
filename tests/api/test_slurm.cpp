// Training jobs on a real Slurm cluster (segmaker api --scheduler slurm): a 2-node cluster on loopback
// started by the test (scripts/slurm-cluster), the notebook's Pet sample on s3rver, the AWS CLI and
// plain HTTP against the service. Each instance is a Slurm task on its own node that reads its
// channels from S3 and the first one writes the model to S3.
#include <dirent.h>

#include <set>

#include "clients_fixture.h"
#include "slurm_cluster.h"

namespace segmaker::test {
namespace {

class SlurmTraining : public Clients {
 protected:
  void SetUp() override {
    if (const auto why = SlurmCluster::unavailable_reason(); !why.empty()) GTEST_SKIP() << why;
    cluster_ = std::make_unique<SlurmCluster>(dir_ / "slurm", 2);
    ASSERT_TRUE(cluster_->error().empty()) << cluster_->error();
    // ml.c5.xlarge = one CPU and 900 MiB of a node (the nodes say 2 CPUs, 2000 MiB); ml.m5.large = a whole node.
    io::write_file_atomic(dir_ / "instance-types.json",
                          R"({"ml.c5.xlarge": {"cpus": 1, "memory_mib": 900}, "ml.m5.large": {"exclusive": true}})");
    extra_api_args_ = {"--scheduler", "slurm", "--instance-types", (dir_ / "instance-types.json").string(), "--node-scratch",
                       (dir_ / "scratch").string(), "--slurm-port-base", std::to_string(21000 + (::getpid() % 80) * 100)};
    extra_env_ = {{"SLURM_CONF", cluster_->conf()}};
    Clients::SetUp();
  }
  void TearDown() override {
    Clients::TearDown();
    cluster_.reset();
  }
  // Creates the notebook's job with `instances` instances; its name.
  std::string create(const std::string& name, int instances, int epochs, int max_runtime = 3600) {
    json request = json::parse(io::read_file(training_request(name, epochs, max_runtime)));
    request["ResourceConfig"]["InstanceCount"] = instances;
    request["HyperParameters"]["mini_batch_size"] = std::to_string(2 * instances);  // the global batch: even over the ranks
    request["HyperParameters"]["validation_mini_batch_size"] = std::to_string(2 * instances);
    request["CheckpointConfig"] = {{"S3Uri", bucket_->uri("checkpoints/" + name)}};
    io::write_file_atomic(dir_ / (name + ".json"), request.dump(2));
    aws_json("sagemaker create-training-job --cli-input-json file://" + (dir_ / (name + ".json")).string());
    return name;
  }
  // Polls until the job's status (or secondary status) is `status`; the last answer.
  json wait_for(const std::string& job, const std::string& status, std::chrono::seconds timeout) {
    json d;
    wait_until([&] {
      d = poll(job);
      return d.value("TrainingJobStatus", "") == status || d.value("SecondaryStatus", "") == status ||
             (status != "Failed" && d.value("TrainingJobStatus", "") == "Failed");
    }, timeout);
    return d;
  }
  std::string job_log(const std::string& job) const {
    return io::read_file(dir_ / "root" / "training-jobs" / job / "log.txt");
  }
  // Command lines of this machine's processes that contain `text`.
  static std::vector<std::string> processes_with(const std::string& text) {
    std::vector<std::string> found;
    for (const auto& entry : fs::directory_iterator("/proc")) {
      const std::string pid = entry.path().filename();
      if (pid.find_first_not_of("0123456789") != std::string::npos || pid == std::to_string(::getpid())) continue;
      std::string cmdline = read_text(entry.path() / "cmdline");
      std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
      if (cmdline.find(text) != std::string::npos) found.push_back(pid + ": " + cmdline);
    }
    return found;
  }
  // The keys under `prefix` in the bucket (aws s3 ls --recursive, or the local folder).
  std::string bucket_listing(const std::string& prefix) const {
    if (!bucket_->is_s3()) {
      std::string out;
      if (fs::exists(dir_ / "bucket" / prefix))
        for (const auto& e : fs::recursive_directory_iterator(dir_ / "bucket" / prefix)) out += e.path().string() + "\n";
      return out;
    }
    std::system((bucket_->env_prefix() + "/usr/bin/aws s3 ls --recursive " + bucket_->uri(prefix) + bucket_->s3_endpoint_flag() +
                 " > '" + (dir_ / "ls.out").string() + "' 2>&1").c_str());
    return io::read_file(dir_ / "ls.out");
  }
  std::string slurm_jobs(const std::string& name) const {
    return cluster_->run("squeue -h -t all -n " + name + " -o '%i %T %N'");
  }

  std::unique_ptr<SlurmCluster> cluster_;
};

TEST_F(SlurmTraining, TwoNodesTrainTransformAndServe) {
  prepare_sample();
  // An instance type the cluster's table does not know is refused, naming the known ones.
  json bad = json::parse(io::read_file(training_request("pets-big", 1)));
  bad["ResourceConfig"]["InstanceType"] = "ml.p3.2xlarge";
  io::write_file_atomic(dir_ / "bad.json", bad.dump());
  std::string out;
  EXPECT_NE(aws("sagemaker create-training-job --cli-input-json file://" + (dir_ / "bad.json").string(), &out), 0);
  EXPECT_NE(out.find("ValidationException"), std::string::npos) << out;
  EXPECT_NE(out.find("ml.c5.xlarge, ml.m5.large"), std::string::npos) << out;

  create("pets-slurm", 2, 2);
  const json d = wait_for("pets-slurm", "Completed", std::chrono::seconds(300));
  ASSERT_EQ(d.value("TrainingJobStatus", ""), "Completed") << d.dump(2) << "\n" << job_log("pets-slurm") << log();
  std::vector<std::string> steps;
  for (const auto& t : d["SecondaryStatusTransitions"]) steps.push_back(t["Status"]);
  EXPECT_EQ(steps, (std::vector<std::string>{"Starting", "Downloading", "Training", "Uploading", "Completed"})) << d.dump(2);
  EXPECT_FALSE(d["FinalMetricDataList"].empty());
  EXPECT_TRUE(bucket_->get("output/pets-slurm/output/model.tar.gz", dir_ / "model.tar.gz"));
  // One Slurm job, on both nodes; each instance on its own node, each downloading its channels.
  const std::string jobs = slurm_jobs("pets-slurm");
  EXPECT_NE(jobs.find("COMPLETED n[1-2]"), std::string::npos) << jobs;
  const std::string text = job_log("pets-slurm");
  for (const char* line : {"[algo-1 on n1] rank 0 of 2, rendezvous at 127.0.1.1:", "[algo-2 on n2] rank 1 of 2",
                           "[algo-1 on n1] downloading the channels", "[algo-2 on n2] downloading the channels",
                           "[algo-1 on n1] model uploaded to"})
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  EXPECT_TRUE(processes_with((dir_ / "scratch" / "pets-slurm").string()).empty());
  EXPECT_FALSE(fs::exists(dir_ / "scratch" / "pets-slurm" / "algo-1")) << "the instances' working copies are gone";

  // A 2-instance batch transform of the training images with that model: each node answers its share.
  ASSERT_EQ(aws("sagemaker create-model --model-name pets-model --execution-role-arn arn:aws:iam::000000000000:role/dummy "
                "--primary-container Image=811284229777.dkr.ecr.us-east-1.amazonaws.com/semantic-segmentation:1,ModelDataUrl=" +
                d["ModelArtifacts"]["S3ModelArtifacts"].get<std::string>()), 0);
  const json transform = {
      {"TransformJobName", "pets-split"}, {"ModelName", "pets-model"},
      {"TransformInput", {{"DataSource", {{"S3DataSource", {{"S3DataType", "S3Prefix"}, {"S3Uri", bucket_->uri("data/train")}}}}},
                          {"ContentType", "image/jpeg"}}},
      {"TransformOutput", {{"S3OutputPath", bucket_->uri("split")}, {"Accept", "image/png"}}},
      {"TransformResources", {{"InstanceType", "ml.m5.large"}, {"InstanceCount", 2}}}};
  io::write_file_atomic(dir_ / "transform.json", transform.dump());
  ASSERT_EQ(aws("sagemaker create-transform-job --cli-input-json file://" + (dir_ / "transform.json").string()), 0);
  json t;
  wait_until([&] {
    t = aws_json("sagemaker describe-transform-job --transform-job-name pets-split");
    return t.value("TransformJobStatus", "") != "InProgress";
  }, std::chrono::seconds(180));
  const std::string transform_log = io::read_file(dir_ / "root" / "transform-jobs" / "pets-split" / "log.txt");
  ASSERT_EQ(t.value("TransformJobStatus", ""), "Completed") << t.dump(2) << transform_log;
  const auto images = io::list_files(dir_ / "data" / "train", {".jpg"});
  for (const auto& image : images) EXPECT_TRUE(bucket_->get("split/" + image.filename().string() + ".out", dir_ / "answer.png")) << image;
  const std::string total = std::to_string(images.size());
  EXPECT_NE(transform_log.find("[algo-1 on n1] " + std::to_string((images.size() + 1) / 2) + " of the " + total + " objects"), std::string::npos)
      << transform_log;
  EXPECT_NE(transform_log.find("[algo-2 on n2] " + std::to_string(images.size() / 2) + " of the " + total + " objects"), std::string::npos)
      << transform_log;

  // An endpoint of 2 instances: one Slurm job on each node, InvokeEndpoint answered by both.
  ASSERT_EQ(aws("sagemaker create-endpoint-config --endpoint-config-name pets-config --production-variants "
                "VariantName=AllTraffic,ModelName=pets-model,InitialInstanceCount=2,InstanceType=ml.m5.large"), 0);
  ASSERT_EQ(aws("sagemaker create-endpoint --endpoint-name pets-ep --endpoint-config-name pets-config"), 0);
  json e;
  wait_until([&] {
    e = aws_json("sagemaker describe-endpoint --endpoint-name pets-ep");
    return e.value("EndpointStatus", "") != "Creating";
  }, std::chrono::seconds(180));
  const fs::path logs = dir_ / "root" / "endpoints" / "pets-ep" / "logs";
  ASSERT_EQ(e.value("EndpointStatus", ""), "InService") << e.dump(2) << read_text(logs / "AllTraffic-1.log") << log();
  const std::string serving = slurm_jobs("pets-ep");
  EXPECT_NE(serving.find("RUNNING n1"), std::string::npos) << serving;
  EXPECT_NE(serving.find("RUNNING n2"), std::string::npos) << serving;
  for (int i = 0; i < 4; ++i) {
    std::string answer;
    EXPECT_EQ(aws("sagemaker-runtime invoke-endpoint --endpoint-name pets-ep --body fileb://" + images.front().string() +
                  " --content-type image/jpeg --accept image/png '" + (dir_ / "mask.png").string() + "'", &answer), 0) << answer;
  }
  // Each instance listens on its own node's address (127.0.1.1 / 127.0.1.2), at the port its log names.
  std::set<std::string> answering;
  for (const char* instance : {"AllTraffic-1.log", "AllTraffic-2.log"}) {
    const std::string text = read_text(logs / instance);
    const auto at = text.find(", port ");
    ASSERT_NE(at, std::string::npos) << text;
    const int port = std::stoi(text.substr(at + 7));
    for (const char* host : {"127.0.1.1", "127.0.1.2"}) {
      httplib::Client c(host, port);
      c.set_connection_timeout(std::chrono::seconds(1));
      if (auto r = c.Get("/ping"); r && r->status == 200) answering.insert(std::string(host) + " " + instance);
    }
  }
  EXPECT_EQ(answering.size(), 2u);
  EXPECT_TRUE(answering.count("127.0.1.1 AllTraffic-1.log") + answering.count("127.0.1.1 AllTraffic-2.log") == 1 &&
              answering.count("127.0.1.2 AllTraffic-1.log") + answering.count("127.0.1.2 AllTraffic-2.log") == 1)
      << "one instance on each node";
  ASSERT_EQ(aws("sagemaker delete-endpoint --endpoint-name pets-ep"), 0);
  EXPECT_TRUE(wait_until([&] { return slurm_jobs("pets-ep").find("RUNNING") == std::string::npos; }, std::chrono::seconds(60)))
      << slurm_jobs("pets-ep");
}

TEST_F(SlurmTraining, ShardedByS3KeyGivesEachNodeItsOwnShare) {
  prepare_sample();
  json request = json::parse(io::read_file(training_request("pets-sharded", 1)));
  request["ResourceConfig"]["InstanceCount"] = 2;
  request["HyperParameters"]["mini_batch_size"] = "4";
  request["HyperParameters"]["validation_mini_batch_size"] = "4";
  for (auto& c : request["InputDataConfig"])  // validation stays FullyReplicated: never sharded unless asked
    if (c["ChannelName"].get<std::string>().rfind("train", 0) == 0)
      c["DataSource"]["S3DataSource"]["S3DataDistributionType"] = "ShardedByS3Key";
  io::write_file_atomic(dir_ / "sharded.json", request.dump(2));
  aws_json("sagemaker create-training-job --cli-input-json file://" + (dir_ / "sharded.json").string());
  const json d = wait_for("pets-sharded", "Completed", std::chrono::seconds(300));
  const std::string text = job_log("pets-sharded");
  ASSERT_EQ(d.value("TrainingJobStatus", ""), "Completed") << d.dump(2) << "\n" << text << log();
  // Key order, every second object from the instance's index: 5 and 4 of the 9 pairs, disjoint.
  for (const char* line : {"[algo-1 on n1] channel 'train': ShardedByS3Key: 5 of 9 objects for instance 1 of 2",
                           "[algo-2 on n2] channel 'train': ShardedByS3Key: 4 of 9 objects for instance 2 of 2",
                           "[algo-1 on n1] channel 'train_annotation': ShardedByS3Key: 5 of 9 objects for instance 1 of 2",
                           "channel 'train': ShardedByS3Key, 9 examples in 2 shares; each rank trains on 4 of its share per epoch"})
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  EXPECT_EQ(text.find("channel 'validation': ShardedByS3Key"), std::string::npos) << text;
}

TEST_F(SlurmTraining, StopAndMaxRuntimeEndTheSlurmJob) {
  prepare_sample();
  create("pets-stop", 2, 500);
  ASSERT_EQ(wait_for("pets-stop", "Training", std::chrono::seconds(120)).value("SecondaryStatus", ""), "Training") << job_log("pets-stop");
  std::this_thread::sleep_for(std::chrono::seconds(3));
  aws_json("sagemaker stop-training-job --training-job-name pets-stop");
  json d = wait_for("pets-stop", "Stopped", std::chrono::seconds(90));
  EXPECT_EQ(d.value("TrainingJobStatus", ""), "Stopped") << d.dump(2) << job_log("pets-stop");
  EXPECT_NE(job_log("pets-stop").find("scancel --signal=TERM"), std::string::npos);
  EXPECT_NE(bucket_listing("checkpoints/pets-stop/").find("checkpoints/pets-stop/"), std::string::npos)
      << "the first instance uploads its checkpoint after SIGTERM" << bucket_listing("") << job_log("pets-stop");
  EXPECT_TRUE(wait_until([&] { return processes_with((dir_ / "scratch" / "pets-stop").string()).empty(); }, std::chrono::seconds(15)));

  create("pets-limit", 1, 500, 12);
  d = wait_for("pets-limit", "MaxRuntimeExceeded", std::chrono::seconds(150));
  EXPECT_EQ(d.value("TrainingJobStatus", ""), "Stopped") << d.dump(2) << job_log("pets-limit");
  EXPECT_EQ(d.value("SecondaryStatus", ""), "MaxRuntimeExceeded") << d.dump(2);
}

TEST_F(SlurmTraining, ANodeThatDiesFailsTheJobNamingIt) {
  prepare_sample();
  create("pets-node", 2, 500);
  ASSERT_EQ(wait_for("pets-node", "Training", std::chrono::seconds(120)).value("SecondaryStatus", ""), "Training") << job_log("pets-node");
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const auto killed = std::chrono::steady_clock::now();
  ASSERT_EQ(cluster_->kill_node("n2"), 0);
  const json d = wait_for("pets-node", "Failed", std::chrono::seconds(90));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - killed).count();
  ASSERT_EQ(d.value("TrainingJobStatus", ""), "Failed") << d.dump(2) << job_log("pets-node");
  RecordProperty("node_death_to_failed_seconds", std::to_string(seconds));
  const std::string reason = d.value("FailureReason", "");
  EXPECT_NE(reason.find("n2"), std::string::npos) << reason;
  EXPECT_NE(reason.find("NODE_FAIL"), std::string::npos) << reason;
  EXPECT_TRUE(wait_until([&] { return processes_with((dir_ / "scratch" / "pets-node").string()).empty(); }, std::chrono::seconds(20)))
      << "nothing of the job runs on after its node died";
}

TEST_F(SlurmTraining, ARankWhoseLauncherIsKilledLeavesNothingBehind) {
  prepare_sample();
  create("pets-orphan", 2, 500);
  ASSERT_EQ(wait_for("pets-orphan", "Training", std::chrono::seconds(120)).value("SecondaryStatus", ""), "Training") << job_log("pets-orphan");
  const std::string rank1 = (dir_ / "scratch" / "pets-orphan" / "algo-2").string();
  std::vector<std::string> launcher;
  ASSERT_TRUE(wait_until([&] {
    launcher.clear();
    for (const auto& p : processes_with(rank1))
      if (p.find(" launch ") != std::string::npos) launcher.push_back(p);
    return launcher.size() == 1;
  }, std::chrono::seconds(30))) << processes_with(rank1).size();
  ::kill(std::stoi(launcher.front()), SIGKILL);
  EXPECT_TRUE(wait_until([&] { return processes_with(rank1).empty(); }, std::chrono::seconds(10)))
      << "the rank died with its launcher";
  const json d = wait_for("pets-orphan", "Failed", std::chrono::seconds(90));
  EXPECT_EQ(d.value("TrainingJobStatus", ""), "Failed") << d.dump(2) << job_log("pets-orphan");
  EXPECT_TRUE(wait_until([&] { return processes_with((dir_ / "scratch" / "pets-orphan").string()).empty(); }, std::chrono::seconds(20)));
}

TEST_F(SlurmTraining, ARestartedServiceAdoptsTheRunningJob) {
  prepare_sample();
  create("pets-adopt", 2, 6);
  ASSERT_EQ(wait_for("pets-adopt", "Training", std::chrono::seconds(120)).value("SecondaryStatus", ""), "Training") << job_log("pets-adopt");
  ::kill(api_, SIGKILL);  // no goodbye: the Slurm job runs on
  wait_exit(api_);
  api_ = -1;
  EXPECT_NE(slurm_jobs("pets-adopt").find("RUNNING"), std::string::npos) << slurm_jobs("pets-adopt");
  start_api();
  const json d = wait_for("pets-adopt", "Completed", std::chrono::seconds(300));
  EXPECT_EQ(d.value("TrainingJobStatus", ""), "Completed") << d.dump(2) << job_log("pets-adopt") << log();
  const std::string jobs = slurm_jobs("pets-adopt");
  EXPECT_EQ(std::count(jobs.begin(), jobs.end(), '\n'), 1) << "run once: " << jobs;
  EXPECT_NE(job_log("pets-adopt").find("following Slurm job"), std::string::npos);
}

TEST_F(SlurmTraining, AnEndpointInstanceLostWithItsNodeIsSubmittedAgain) {
  prepare_sample();
  create("pets-model-job", 1, 1);
  json d = wait_for("pets-model-job", "Completed", std::chrono::seconds(180));
  ASSERT_EQ(d.value("TrainingJobStatus", ""), "Completed") << d.dump(2) << job_log("pets-model-job");
  ASSERT_EQ(aws("sagemaker create-model --model-name m --execution-role-arn arn:aws:iam::000000000000:role/dummy "
                "--primary-container Image=semantic-segmentation,ModelDataUrl=" +
                d["ModelArtifacts"]["S3ModelArtifacts"].get<std::string>()), 0);
  ASSERT_EQ(aws("sagemaker create-endpoint-config --endpoint-config-name c --production-variants "
                "VariantName=AllTraffic,ModelName=m,InitialInstanceCount=1,InstanceType=ml.m5.large"), 0);
  ASSERT_EQ(aws("sagemaker create-endpoint --endpoint-name ep --endpoint-config-name c"), 0);
  auto status = [&] { return aws_json("sagemaker describe-endpoint --endpoint-name ep").value("EndpointStatus", ""); };
  ASSERT_TRUE(wait_until([&] { return status() == "InService"; }, std::chrono::seconds(120))) << status() << log();
  const std::string before = slurm_jobs("ep");
  const std::string node = before.find("RUNNING n1") != std::string::npos ? "n1" : "n2";
  const std::string other = node == "n1" ? "n2" : "n1";
  ASSERT_NE(before.find("RUNNING " + node), std::string::npos) << before;
  ASSERT_EQ(cluster_->kill_node(node), 0);
  // Slurm notices (NODE_FAIL), the supervisor submits the instance again, Slurm places it on the other node.
  EXPECT_TRUE(wait_until([&] { return slurm_jobs("ep").find("RUNNING " + other) != std::string::npos; }, std::chrono::seconds(90)))
      << slurm_jobs("ep") << read_text(dir_ / "root" / "endpoints" / "ep" / "logs" / "AllTraffic-1.log");
  const fs::path image = io::list_files(dir_ / "data" / "validation", {".jpg"}).front();
  std::string answer;
  EXPECT_TRUE(wait_until([&] {
    return aws("sagemaker-runtime invoke-endpoint --endpoint-name ep --body fileb://" + image.string() +
               " --content-type image/jpeg '" + (dir_ / "mask.png").string() + "'", &answer) == 0;
  }, std::chrono::seconds(60))) << answer;
  EXPECT_EQ(status(), "InService");
}

// A node keeps to the service's --allow-local-path folders: a file:// channel elsewhere is refused by
// the task itself (its result file says why), not only by CreateTrainingJob's validation.
TEST(SlurmTasks, ATaskReadsLocalPathsOnlyUnderTheServicesFolders) {
  TempDir dir;
  fs::create_directories(dir / "job" / "cluster");
  fs::create_directories(dir / "data" / "train");
  fs::create_directories(dir / "allowed");
  io::write_file_atomic(dir / "data" / "train" / "a.jpg", "x");
  const json job = {{"TrainingJobName", "j"}, {"HyperParameters", json::object()},
                    {"InputDataConfig", {{{"ChannelName", "train"},
                                          {"DataSource", {{"S3DataSource", {{"S3DataType", "S3Prefix"},
                                                                            {"S3Uri", "file://" + (dir / "data" / "train").string()}}}}}}}},
                    {"ResourceConfig", {{"InstanceType", "ml.c5.xlarge"}, {"InstanceCount", 1}}},
                    {"OutputDataConfig", {{"S3OutputPath", "file://" + (dir / "out").string()}}}};
  io::write_file_atomic(dir / "job" / "cluster" / "job.json", job.dump());
  const pid_t task = spawn_cli({"training-task", "--job", (dir / "job" / "cluster" / "job.json").string(), "--scratch",
                                (dir / "scratch").string(), "--master-addr", "127.0.0.1", "--restrict-local-paths",
                                "--allow-local-path", (dir / "allowed").string()},
                               dir / "task.log", {{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "1"}, {"SLURMD_NODENAME", "n1"}});
  EXPECT_NE(wait_exit(task), 0);
  const json result = json::parse(io::read_file(dir / "job" / "cluster" / "algo-1.json"));
  EXPECT_NE(result.value("failure", "").find("is outside the allowed folders"), std::string::npos) << result.dump(2);
  EXPECT_EQ(result.value("node", ""), "n1");
  EXPECT_FALSE(fs::exists(dir / "scratch" / "j" / "algo-1" / "input" / "data" / "train" / "a.jpg"));
}

}  // namespace
}  // namespace segmaker::test
