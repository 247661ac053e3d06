// The seed notebook's workflow with the REAL clients, unchanged: /usr/bin/aws (CLI v2) and boto3's
// waiters against `segmaker api` running as its own process. The data goes up with `aws s3 sync` to
// s3rver when the storage layer's fixture is present (file:// URIs, segmaker's documented extension,
// otherwise). Covers: create-training-job → Completed with metrics and the artifact in the bucket;
// create-model / create-endpoint-config / create-endpoint → InService → invoke-endpoint → a mask of
// the input's size; create-transform-job → answers in the bucket; delete-endpoint + `wait
// endpoint-deleted`; stop-training-job → Stopped; MaxRuntimeInSeconds → MaxRuntimeExceeded; kill -9
// of the service mid-training → restart → the job resumes and completes.
#include "api/clients_fixture.h"

namespace segmaker::test {
namespace {

TEST_F(Clients, TheNotebookWithTheAwsCliAndBoto3) {
  const fs::path data = prepare_sample();

  // Estimator.fit: create-training-job, then boto3's waiter.
  ASSERT_EQ(aws("sagemaker create-training-job --cli-input-json file://" + training_request("pets-1", 1).string()), 0) << log();
  ASSERT_EQ(boto3_wait("training_job_completed_or_stopped", "TrainingJobName=pets-1"), 0) << io::read_file(dir_ / "wait.out") << log();
  const json job = describe("pets-1");
  ASSERT_EQ(job["TrainingJobStatus"], "Completed") << job.dump(2) << log();
  std::set<std::string> metrics;
  for (const auto& m : job["FinalMetricDataList"]) metrics.insert(m["MetricName"]);
  EXPECT_TRUE(metrics.count("validation:mIOU") && metrics.count("validation:pixel_accuracy") && metrics.count("train:loss")) << job;
  EXPECT_EQ(job["ModelArtifacts"]["S3ModelArtifacts"], bucket_->uri("output/pets-1/output/model.tar.gz"));
  ASSERT_TRUE(bucket_->get("output/pets-1/output/model.tar.gz", dir_ / "model.tar.gz")) << "the artifact is in the bucket";
  std::string logs;
  EXPECT_EQ(run_cli("api logs pets-1 --root '" + (dir_ / "root").string() + "'", dir_ / "logs.txt"), 0);
  EXPECT_NE(io::read_file(dir_ / "logs.txt").find("#quality_metric: host=algo-1, epoch=1, validation mIOU"), std::string::npos);

  // CloudWatch, as the console and `aws logs` / `aws cloudwatch` read a job: the log stream SageMaker names
  // (<job>/algo-1-<epoch>), its events, a filter, the metrics of the MetricDefinitions (awsQuery: Debian's CLI).
  const json streams = aws_json("logs describe-log-streams --log-group-name /aws/sagemaker/TrainingJobs --log-stream-name-prefix pets-1/");
  ASSERT_EQ(streams["logStreams"].size(), 1u) << streams;
  const std::string stream = streams["logStreams"][0]["logStreamName"];
  EXPECT_EQ(stream.rfind("pets-1/algo-1-", 0), 0u) << stream;
  const json events = aws_json("logs get-log-events --log-group-name /aws/sagemaker/TrainingJobs --log-stream-name " + stream +
                               " --start-from-head");
  ASSERT_GT(events["events"].size(), 5u) << events;
  EXPECT_NE(events.dump().find("Training job completed"), std::string::npos) << "the last line is in before Completed";
  const json filtered = aws_json("logs filter-log-events --log-group-name /aws/sagemaker/TrainingJobs --log-stream-name-prefix pets-1/ "
                                 "--filter-pattern '\"validation mIOU <score>\"'");
  ASSERT_EQ(filtered["events"].size(), 1u) << filtered;
  std::string tail;
  EXPECT_EQ(aws("logs tail /aws/sagemaker/TrainingJobs --log-stream-name-prefix pets-1/ --since 1h", &tail), 0) << tail;
  EXPECT_NE(tail.find("validation mIOU <score>="), std::string::npos) << tail;
  double miou = -1;
  for (const auto& m : job["FinalMetricDataList"])
    if (m["MetricName"] == "validation:mIOU") miou = m["Value"];
  const json times = poll("pets-1");
  const long long start = static_cast<long long>(times["TrainingStartTime"].get<double>()) - 60;
  const json stats = aws_json("cloudwatch get-metric-statistics --namespace /aws/sagemaker/TrainingJobs --metric-name validation:mIOU "
                              "--dimensions Name=TrainingJobName,Value=pets-1 --start-time " + std::to_string(start) +
                              " --end-time " + std::to_string(start + 3600) + " --period 3600 --statistics Average Maximum");
  ASSERT_EQ(stats["Datapoints"].size(), 1u) << stats;
  EXPECT_NEAR(stats["Datapoints"][0]["Average"].get<double>(), miou, 1e-5) << stats << job;
  EXPECT_EQ(aws_json("sts get-caller-identity")["Account"], "000000000000");
  std::string missing;
  EXPECT_EQ(aws("logs get-log-events --log-group-name /aws/sagemaker/TrainingJobs --log-stream-name nope", &missing), 254);
  EXPECT_NE(missing.find("ResourceNotFoundException"), std::string::npos) << missing;
  // boto3 1.26 (Debian) speaks awsQuery to CloudWatch too.
  const std::string boto3 =
      "import boto3, datetime as d; c = boto3.client('cloudwatch', endpoint_url='" + url_ + "'); "
      "r = c.get_metric_statistics(Namespace='/aws/sagemaker/TrainingJobs', MetricName='train:loss', "
      "Dimensions=[{'Name': 'TrainingJobName', 'Value': 'pets-1'}], StartTime=d.datetime.fromtimestamp(" + std::to_string(start) +
      ", d.timezone.utc), EndTime=d.datetime.fromtimestamp(" + std::to_string(start + 3600) + ", d.timezone.utc), Period=3600, "
      "Statistics=['SampleCount']); print(int(r['Datapoints'][0]['SampleCount']))";
  EXPECT_EQ(std::system((bucket_->env_prefix() + "/usr/bin/python3 -c \"" + boto3 + "\" > '" + (dir_ / "boto3.out").string() +
                         "' 2>&1").c_str()), 0) << io::read_file(dir_ / "boto3.out");
  EXPECT_EQ(io::read_file(dir_ / "boto3.out"), "1\n");

  // Estimator.deploy: model, endpoint config, endpoint.
  const std::string model_url = job["ModelArtifacts"]["S3ModelArtifacts"];
  ASSERT_EQ(aws("sagemaker create-model --model-name pets-model --execution-role-arn arn:aws:iam::000000000000:role/dummy "
                "--primary-container Image=811284229777.dkr.ecr.us-east-1.amazonaws.com/semantic-segmentation:1,ModelDataUrl=" +
                model_url), 0);
  ASSERT_EQ(aws("sagemaker create-endpoint-config --endpoint-config-name pets-config --production-variants "
                "VariantName=AllTraffic,ModelName=pets-model,InitialInstanceCount=1,InstanceType=ml.m5.large"), 0);
  ASSERT_EQ(aws("sagemaker create-endpoint --endpoint-name pets-ep --endpoint-config-name pets-config"), 0);
  ASSERT_EQ(boto3_wait("endpoint_in_service", "EndpointName=pets-ep"), 0) << io::read_file(dir_ / "wait.out") << log();

  // predictor.predict: invoke-endpoint with a JPEG → a PNG mask of the input's size.
  const fs::path image = io::list_files(data / "validation", {".jpg"}).front();
  std::string out;
  ASSERT_EQ(aws("sagemaker-runtime invoke-endpoint --endpoint-name pets-ep --body fileb://" + image.string() +
                " --content-type image/jpeg --accept image/png '" + (dir_ / "mask.png").string() + "'", &out), 0) << out << log();
  EXPECT_EQ(json::parse(out)["InvokedProductionVariant"], "AllTraffic") << out;
  const cv::Mat input = cv::imread(image.string()), mask = cv::imread((dir_ / "mask.png").string(), cv::IMREAD_UNCHANGED);
  ASSERT_FALSE(mask.empty());
  EXPECT_EQ(mask.size(), input.size());
  EXPECT_EQ(mask.channels(), 1);
  EXPECT_EQ(aws("sagemaker-runtime invoke-endpoint --endpoint-name pets-ep --body fileb://" + training_request("x", 1).string() +
                " --content-type text/csv " + (dir_ / "x.out").string(), &out), 254);
  EXPECT_NE(out.find("An error occurred (ModelError)"), std::string::npos) << out;

  // Transformer.transform: answers as <input name>.out in the bucket.
  const json transform = {
      {"TransformJobName", "pets-transform"}, {"ModelName", "pets-model"},
      {"TransformInput", {{"DataSource", {{"S3DataSource", {{"S3DataType", "S3Prefix"}, {"S3Uri", bucket_->uri("data/validation")}}}}},
                          {"ContentType", "image/jpeg"}}},
      {"TransformOutput", {{"S3OutputPath", bucket_->uri("transform")}, {"Accept", "image/png"}}},
      {"TransformResources", {{"InstanceType", "ml.m5.large"}, {"InstanceCount", 1}}}};
  io::write_file_atomic(dir_ / "transform.json", transform.dump());
  ASSERT_EQ(aws("sagemaker create-transform-job --cli-input-json file://" + (dir_ / "transform.json").string()), 0);
  ASSERT_EQ(boto3_wait("transform_job_completed_or_stopped", "TransformJobName=pets-transform"), 0) << io::read_file(dir_ / "wait.out");
  EXPECT_EQ(aws_json("sagemaker describe-transform-job --transform-job-name pets-transform")["TransformJobStatus"], "Completed");
  EXPECT_TRUE(bucket_->get("transform/" + image.filename().string() + ".out", dir_ / "answer.png"));
  EXPECT_EQ(cv::imread((dir_ / "answer.png").string(), cv::IMREAD_UNCHANGED).size(), input.size());

  // predictor.delete_endpoint, and the CLI's own waiter (its first poll is immediate).
  ASSERT_EQ(aws("sagemaker delete-endpoint --endpoint-name pets-ep"), 0);
  EXPECT_EQ(aws("sagemaker wait endpoint-deleted --endpoint-name pets-ep", &out), 0) << out;
}

TEST_F(Clients, StopMaxRuntimeAndAServiceKilledMidTraining) {
  prepare_sample();
  // stop-training-job on a long job.
  ASSERT_EQ(aws("sagemaker create-training-job --cli-input-json file://" + training_request("long", 500).string()), 0);
  ASSERT_TRUE(wait_until([&] { return poll("long").value("SecondaryStatus", "") == "Training"; }, std::chrono::seconds(60)));
  ASSERT_EQ(aws("sagemaker stop-training-job --training-job-name long"), 0);
  ASSERT_EQ(boto3_wait("training_job_completed_or_stopped", "TrainingJobName=long"), 0) << io::read_file(dir_ / "wait.out");
  json job = describe("long");
  EXPECT_EQ(job["TrainingJobStatus"], "Stopped") << job;
  EXPECT_EQ(job["SecondaryStatus"], "Stopped");

  // MaxRuntimeInSeconds.
  ASSERT_EQ(aws("sagemaker create-training-job --cli-input-json file://" + training_request("capped", 500, 5).string()), 0);
  ASSERT_EQ(boto3_wait("training_job_completed_or_stopped", "TrainingJobName=capped"), 0) << io::read_file(dir_ / "wait.out");
  job = describe("capped");
  EXPECT_EQ(job["TrainingJobStatus"], "Stopped") << job;
  EXPECT_EQ(job["SecondaryStatus"], "MaxRuntimeExceeded");

  // kill -9 of the service after the job's first epoch; a new service resumes it.
  ASSERT_EQ(aws("sagemaker create-training-job --cli-input-json file://" + training_request("survivor", 2).string()), 0);
  const fs::path metrics = dir_ / "root" / "training-jobs" / "survivor" / "output" / "data" / "metrics.jsonl";
  ASSERT_TRUE(wait_until([&] { return count_lines(metrics) >= 1; }, std::chrono::seconds(120))) << log();
  kill(api_, SIGKILL);
  EXPECT_EQ(wait_exit(api_), 128 + SIGKILL);
  api_ = -1;
  start_api();
  ASSERT_EQ(boto3_wait("training_job_completed_or_stopped", "TrainingJobName=survivor"), 0) << io::read_file(dir_ / "wait.out");
  job = describe("survivor");
  EXPECT_EQ(job["TrainingJobStatus"], "Completed") << job << log();
  EXPECT_EQ(run_cli("api logs survivor --root '" + (dir_ / "root").string() + "'", dir_ / "logs.txt"), 0);
  const std::string text = io::read_file(dir_ / "logs.txt");
  EXPECT_NE(text.find("resuming from"), std::string::npos) << text;
  // Each epoch's metrics once, the first run's and the resumed run's (the job folder that held
  // metrics.jsonl is gone now: only the log stays).
  EXPECT_NE(text.find("epoch=1, validation mIOU <score>="), std::string::npos) << text;
  EXPECT_NE(text.find("epoch=2, validation mIOU <score>="), std::string::npos) << text;
  EXPECT_EQ(text.find("epoch=1, validation mIOU <score>="), text.rfind("epoch=1, validation mIOU <score>=")) << text;
  EXPECT_TRUE(bucket_->get("output/survivor/output/model.tar.gz", dir_ / "survivor.tar.gz"));
}


// The input section of the README with the real CLI and s3rver: `prepare --manifest`'s augmented manifests,
// pointed at the bucket, train a Pipe-mode job (streamed from S3 into the job's pipes, every epoch again) and
// a File-mode one (staged as folders).
TEST_F(Clients, AugmentedManifestsInPipeAndFileModeFromTheBucket) {
  const fs::path pet = copy_pet_sample();
  ASSERT_EQ(run_cli("prepare --manifest --input '" + pet.string() + "' --output '" + (dir_ / "gt").string() +
                        "' --validation-fraction 0.25",
                    dir_ / "prepare.log"),
            0)
      << io::read_file(dir_ / "prepare.log");
  for (const char* m : {"train.manifest", "validation.manifest"}) {  // the bucket's copies
    std::string text = io::read_file(dir_ / "gt" / m);
    const std::string local = "file://" + (dir_ / "gt").string() + "/";
    for (std::size_t at; (at = text.find(local)) != std::string::npos;) text.replace(at, local.size(), bucket_->uri("gt/"));
    io::write_file_atomic(dir_ / "gt" / m, text);
  }
  ASSERT_EQ(bucket_->sync_up(dir_ / "gt", "gt", dir_ / "sync.log"), 0) << io::read_file(dir_ / "sync.log");
  for (const std::string mode : {"Pipe", "File"}) {
    const std::string name = mode == "Pipe" ? "gt-pipe" : "gt-file";
    json request = json::parse(io::read_file(training_request(name, 2)));
    request["AlgorithmSpecification"]["TrainingInputMode"] = mode;
    request["InputDataConfig"] = json::array();
    for (const std::string c : {"train", "validation"})
      request["InputDataConfig"].push_back(
          {{"ChannelName", c},
           {"RecordWrapperType", "RecordIO"},
           {"ContentType", "application/x-recordio"},
           {"DataSource",
            {{"S3DataSource",
              {{"S3DataType", "AugmentedManifestFile"},
               {"S3Uri", bucket_->uri("gt/" + c + ".manifest")},
               {"AttributeNames", {"source-ref", "pets-ref"}}}}}}});
    io::write_file_atomic(dir_ / (name + ".json"), request.dump(2));
    ASSERT_EQ(aws("sagemaker create-training-job --cli-input-json file://" + (dir_ / (name + ".json")).string()), 0);
    ASSERT_EQ(boto3_wait("training_job_completed_or_stopped", "TrainingJobName=" + name), 0) << io::read_file(dir_ / "wait.out");
    const json job = describe(name);
    const std::string text = io::read_file(dir_ / "root" / "training-jobs" / name / "log.txt");
    ASSERT_EQ(job["TrainingJobStatus"], "Completed") << job << text << log();
    EXPECT_NE(text.find("channel 'train': 9 of 9 augmented manifest lines " + std::string(mode == "Pipe" ? "streamed" : "staged")),
              std::string::npos)
        << text;
    if (mode == "Pipe") {
      EXPECT_NE(text.find("pipe train_1: 18 of 18 objects streamed"), std::string::npos) << "epoch 2 streams again:\n" << text;
      EXPECT_NE(text.find("pipe validation_0: first batch ready"), std::string::npos) << text;
    }
  }
}

}  // namespace
}  // namespace segmaker::test