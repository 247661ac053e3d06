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

#include "io/sha256.h"
#include "api/sigv4.h"
#include "data/image_io.h"
#include "io/archive.h"
#include "inference/artifact.h"
#include "serve/codecs.h"
#include "sagemaker/recordio.h"

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
  put("fuzz_recordio", "payload.rec", sagemaker::frame_recordio("hello"));
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

// The SageMaker API: bodies and headers as the AWS CLI v2.9 sends them (captured in
// ../shared/docs/sagemaker-api.md §1 and §3), and a few hostile ones.
const char* kCreateTrainingJob =
    R"({"TrainingJobName": "ss-demo-1", "HyperParameters": {"backbone": "resnet-50", "algorithm": "fcn", "use_pretrained_model": "False", "num_classes": "2", "num_training_samples": "8", "epochs": "2", "mini_batch_size": "2", "crop_size": "64"}, "AlgorithmSpecification": {"TrainingImage": "811284229777.dkr.ecr.us-east-1.amazonaws.com/semantic-segmentation:1", "TrainingInputMode": "File"}, "RoleArn": "arn:aws:iam::000000000000:role/dummy", "InputDataConfig": [{"ChannelName": "train", "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://bucket/train/", "S3DataDistributionType": "FullyReplicated"}}, "ContentType": "image/jpeg"}, {"ChannelName": "train_annotation", "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://bucket/train_annotation/", "S3DataDistributionType": "FullyReplicated"}}, "ContentType": "image/png"}, {"ChannelName": "validation", "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://bucket/validation/", "S3DataDistributionType": "FullyReplicated"}}, "ContentType": "image/jpeg"}, {"ChannelName": "validation_annotation", "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://bucket/validation_annotation/", "S3DataDistributionType": "FullyReplicated"}}, "ContentType": "image/png"}], "OutputDataConfig": {"S3OutputPath": "s3://bucket/output/"}, "ResourceConfig": {"InstanceType": "ml.p3.2xlarge", "InstanceCount": 1, "VolumeSizeInGB": 10}, "StoppingCondition": {"MaxRuntimeInSeconds": 3600}})";

void api_request_seeds() {
  const auto put_request = [](const std::string& name, const std::string& op, const std::string& body) {
    put("fuzz_api_request", name, "SageMaker." + op + "\n" + body);
  };
  put_request("create-training-job.txt", "CreateTrainingJob", kCreateTrainingJob);
  put_request("create-training-job-local.txt", "CreateTrainingJob",
              R"({"TrainingJobName": "local-1", "AlgorithmSpecification": {"TrainingImage": "segmaker:latest", "TrainingInputMode": "Pipe"}, "RoleArn": "arn:aws:iam::123456789012:role/service-role/SageMaker", "InputDataConfig": [{"ChannelName": "train", "CompressionType": "None", "RecordWrapperType": "None", "InputMode": "File", "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "file:///data/train"}}}], "OutputDataConfig": {"S3OutputPath": "/tmp/out"}, "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 2, "VolumeSizeInGB": 1}, "StoppingCondition": {"MaxRuntimeInSeconds": 60, "MaxWaitTimeInSeconds": 120}, "CheckpointConfig": {"S3Uri": "s3://bucket/checkpoints/"}, "HyperParameters": {}})");
  put_request("list-training-jobs.txt", "ListTrainingJobs", "{}");
  put_request("list-filters.txt", "ListEndpoints",
              R"({"NameContains": "ss-", "SortBy": "CreationTime", "SortOrder": "Descending", "MaxResults": 10, "NextToken": "Endpoint:10", "CreationTimeAfter": 1672531200, "LastModifiedTimeBefore": 1.7e9, "StatusEquals": "InService"})");
  put_request("describe-endpoint.txt", "DescribeEndpoint", R"({"EndpointName": "ss-ep"})");
  put_request("describe-training-job.txt", "DescribeTrainingJob", R"({"TrainingJobName": "ss-demo-1"})");
  put_request("create-model.txt", "CreateModel",
              R"({"ModelName": "ss-model", "PrimaryContainer": {"Image": "811284229777.dkr.ecr.us-east-1.amazonaws.com/semantic-segmentation:1", "ModelDataUrl": "s3://bucket/output/ss-demo-1/output/model.tar.gz", "Environment": {"OMP_NUM_THREADS": "2"}}, "ExecutionRoleArn": "arn:aws:iam::000000000000:role/dummy"})");
  put_request("create-endpoint-config.txt", "CreateEndpointConfig",
              R"({"EndpointConfigName": "ss-config", "ProductionVariants": [{"VariantName": "AllTraffic", "ModelName": "ss-model", "InitialInstanceCount": 1, "InstanceType": "ml.m5.large", "InitialVariantWeight": 1.0}]})");
  put_request("create-endpoint.txt", "CreateEndpoint", R"({"EndpointName": "ss-ep", "EndpointConfigName": "ss-config"})");
  put_request("update-endpoint.txt", "UpdateEndpoint",
              R"({"EndpointName": "ss-ep", "EndpointConfigName": "ss-config-2", "RetainAllVariantProperties": false})");
  put_request("create-transform-job.txt", "CreateTransformJob",
              R"({"TransformJobName": "ss-batch", "ModelName": "ss-model", "TransformInput": {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://bucket/batch/"}}, "ContentType": "image/jpeg", "SplitType": "None"}, "TransformOutput": {"S3OutputPath": "s3://bucket/batch-out/", "Accept": "image/png"}, "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1}})");
  put_request("stop-training-job.txt", "StopTrainingJob", R"({"TrainingJobName": "ss-demo-1"})");
  put_request("empty-body.txt", "ListModels", "");
  put_request("unicode.txt", "CreateTrainingJob", "{\"TrainingJobName\": \"\xC3\xA9t\xC3\xA9\", \"RoleArn\": \"\\u0000\\ud83d\\ude00\"}");
  put_request("array.txt", "ListModels", "[{}]");
  put_request("deep.txt", "ListModels", std::string(65, '[') + std::string(65, ']'));
  put_request("big-numbers.txt", "ListModels", R"({"MaxResults": 18446744073709551615, "CreationTimeAfter": -1e308})");
  put("fuzz_api_request", "foreign-target.txt", "DynamoDB_20120810.ListTables\n{}");
  put("fuzz_api_request", "no-target.txt", "\n{}");
}

// CreateHyperParameterTuningJob as the SDK 2.257 sends it (../shared/docs/sagemaker-api.md §7), and the
// other strategies' shapes.
void tuning_request_seeds() {
  const std::string definition =
      R"("TrainingJobDefinition": {"StaticHyperParameters": {"backbone": "resnet-50", "algorithm": "fcn", "num_classes": "3", "num_training_samples": "400", "epochs": "10", "use_pretrained_model": "True", "_tuning_objective_metric": "validation:mIOU"}, "RoleArn": "arn:aws:iam::000000000000:role/R", "OutputDataConfig": {"S3OutputPath": "s3://b/out"}, "StoppingCondition": {"MaxRuntimeInSeconds": 86400}, "HyperParameterTuningResourceConfig": {"InstanceCount": 1, "InstanceType": "ml.p3.2xlarge", "VolumeSizeInGB": 30}, "AlgorithmSpecification": {"TrainingInputMode": "File", "TrainingImage": "811284229777.dkr.ecr.us-east-1.amazonaws.com/semantic-segmentation:1"}, "InputDataConfig": [{"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://b/train", "S3DataDistributionType": "FullyReplicated"}}, "ContentType": "image/jpeg", "ChannelName": "train"}, {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://b/ta"}}, "ChannelName": "train_annotation"}, {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://b/v"}}, "ChannelName": "validation"}, {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "/tmp/va"}}, "ChannelName": "validation_annotation"}]})";
  const std::string ranges =
      R"("ParameterRanges": {"ContinuousParameterRanges": [{"Name": "learning_rate", "MinValue": "0.0001", "MaxValue": "0.1", "ScalingType": "Logarithmic"}, {"Name": "momentum", "MinValue": "0.9", "MaxValue": "0.999", "ScalingType": "ReverseLogarithmic"}], "CategoricalParameterRanges": [{"Name": "optimizer", "Values": ["sgd", "adam"]}], "IntegerParameterRanges": [{"Name": "mini_batch_size", "MinValue": "4", "MaxValue": "16", "ScalingType": "Auto"}]})";
  auto put_tuning = [&](const std::string& name, const std::string& config, const std::string& extra = "") {
    put("fuzz_tuning_request", name,
        R"({"HyperParameterTuningJobName": "semantic-segmentatio-261207-0257", "HyperParameterTuningJobConfig": {)" + config +
            "}, " + definition + extra + "}");
  };
  put_tuning("sdk-bayesian.json",
             R"("Strategy": "Bayesian", "ResourceLimits": {"MaxNumberOfTrainingJobs": 8, "MaxParallelTrainingJobs": 2}, "TrainingJobEarlyStoppingType": "Auto", "HyperParameterTuningJobObjective": {"Type": "Maximize", "MetricName": "validation:mIOU"}, )" + ranges);
  put_tuning("hyperband.json",
             R"("Strategy": "Hyperband", "StrategyConfig": {"HyperbandStrategyConfig": {"MinResource": 1, "MaxResource": 27}}, "ResourceLimits": {"MaxNumberOfTrainingJobs": 30, "MaxParallelTrainingJobs": 3, "MaxRuntimeInSeconds": 3600}, "HyperParameterTuningJobObjective": {"Type": "Maximize", "MetricName": "validation:pixel_accuracy"}, "RandomSeed": 7, )" + ranges);
  put_tuning("grid.json",
             R"("Strategy": "Grid", "ResourceLimits": {"MaxParallelTrainingJobs": 1}, "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "validation:loss"}, "ParameterRanges": {"CategoricalParameterRanges": [{"Name": "optimizer", "Values": ["sgd", "adam", "nag"]}, {"Name": "output_stride", "Values": ["8", "16"]}, {"Name": "syncbn", "Values": ["True", "False"]}]})");
  const std::string random =
      R"("Strategy": "Random", "ResourceLimits": {"MaxNumberOfTrainingJobs": 100, "MaxParallelTrainingJobs": 10}, "HyperParameterTuningJobObjective": {"Type": "Maximize", "MetricName": "validation:mIOU"}, "TuningJobCompletionCriteria": {"TargetObjectiveMetricValue": 0.9, "BestObjectiveNotImproving": {"MaxNumberOfTrainingJobsNotImproving": 5}}, "ParameterRanges": {"IntegerParameterRanges": [{"Name": "seed", "MinValue": "0", "MaxValue": "9007199254740992"}], "ContinuousParameterRanges": [{"Name": "weight_decay", "MinValue": "1e-5", "MaxValue": "1e-3"}]})";
  put_tuning("random-criteria.json", random);
  put_tuning("warm-start-missing-parent.json", random,
             R"(, "WarmStartConfig": {"WarmStartType": "TransferLearning", "ParentHyperParameterTuningJobs": [{"HyperParameterTuningJobName": "parent"}]})");
}

// One request in fuzz_sigv4's format (fuzz/targets/fuzz_sigv4.cpp).
std::string sigv4_input(const std::string& authorization, const std::string& amz_date, const std::string& request_line,
                        const std::vector<std::string>& headers, const std::string& key_file, const std::string& body) {
  std::string out = authorization + "\n" + amz_date + "\n" + request_line + "\n";
  for (const auto& h : headers) out += h + "\n";
  return out + "\n" + key_file + "\n\n" + body;
}

void sigv4_seeds() {
  // aws sagemaker list-training-jobs and create-training-job (access key and secret "x").
  const std::vector<std::string> cli{"Host: 127.0.0.1:18080", "Accept-Encoding: identity",
                                     "Content-Type: application/x-amz-json-1.1",
                                     "User-Agent: aws-cli/2.9.19 Python/3.11.2 Linux/6.18.44-fc-v669 source/x86_64.debian.12 prompt/off command/sagemaker.list-training-jobs"};
  auto with = [](std::vector<std::string> h, const std::string& extra) { h.push_back(extra); return h; };
  put("fuzz_sigv4", "list-training-jobs.txt",
      sigv4_input("AWS4-HMAC-SHA256 Credential=x/20261130/us-east-1/sagemaker/aws4_request, "
                  "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
                  "Signature=09246d65446c084d184a87b9f21b4f9ea914e058f11d49f7612a55b0d2039804",
                  "20261130T022442Z", "POST /", with(with(cli, "X-Amz-Target: SageMaker.ListTrainingJobs"), "Content-Length: 2"),
                  "x x", "{}"));
  put("fuzz_sigv4", "create-training-job.txt",
      sigv4_input("AWS4-HMAC-SHA256 Credential=x/20261130/us-east-1/sagemaker/aws4_request, "
                  "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
                  "Signature=fbc5675719da22d36a164869073ef70109f583325bc551ce7f69f857bd9eaf40",
                  "20261130T022456Z", "POST /", with(with(cli, "X-Amz-Target: SageMaker.CreateTrainingJob"), "Content-Length: 1490"),
                  "x x", kCreateTrainingJob));
  // aws sagemaker-runtime invoke-endpoint (the 12-byte body was not captured).
  put("fuzz_sigv4", "invoke-endpoint.txt",
      sigv4_input("AWS4-HMAC-SHA256 Credential=x/20261130/us-east-1/sagemaker/aws4_request, "
                  "SignedHeaders=accept;content-type;host;x-amz-date;x-amzn-sagemaker-custom-attributes, "
                  "Signature=6e6063d6a818a923f091e57453f2364d86e896351a941123d0ff1d392a41804a",
                  "20261130T022532Z", "POST /endpoints/ss-ep/invocations",
                  {"Host: 127.0.0.1:18085", "Accept-Encoding: identity", "Content-Type: image/jpeg", "Accept: image/png",
                   "X-Amzn-SageMaker-Custom-Attributes: a=b", "Content-Length: 12"},
                  "# team keys\nx x\nAKIDSEGMAKER segmaker-secret", std::string("\xFF\xD8\xFF\xE0\0\x10JFIF\0\x01", 12)));

  // boto3's shape (lower-case host, sdk headers), a query, a content hash header and several keys:
  // signed here with the same functions the server checks with, so that the corpus holds a request
  // that verifies.
  api::SignedRequest r;
  r.method = "POST";
  r.raw_path = "/endpoints/my-ep/invocations";
  r.raw_query = "b=2&a=x%2Fy&a=1";
  const std::string body = "abc";
  r.headers = {{"host", "127.0.0.1:8700"}, {"Content-Type", "image/jpeg"}, {"X-Amz-Date", "20260101T120000Z"},
               {"amz-sdk-invocation-id", "0f2c4b1e-5f0a-4c1f-9d0e-2a7f3c9b1d11"}, {"amz-sdk-request", "attempt=1"},
               {"x-amz-content-sha256", io::sha256_hex(body)},
               {"X-Amzn-SageMaker-Custom-Attributes", "  a=b   c "}};
  r.payload_sha256 = io::sha256_hex(body);
  api::SigV4Authorization a;
  a.access_key = "AKIDSEGMAKER";
  a.date = "20260101";
  a.region = "eu-west-1";
  a.service = "sagemaker";
  a.terminal = "aws4_request";
  a.signed_headers = {"content-type", "host", "x-amz-content-sha256", "x-amz-date", "x-amzn-sagemaker-custom-attributes"};
  const std::string sig = api::signature("segmaker-secret", a,
                                         api::string_to_sign("20260101T120000Z", a.scope(), api::canonical_request(r, a.signed_headers)));
  std::string names;
  for (const auto& h : a.signed_headers) names += (names.empty() ? "" : ";") + h;
  std::vector<std::string> headers;
  for (const auto& [k, v] : r.headers)
    if (k != "X-Amz-Date") headers.push_back(k + ": " + v);
  put("fuzz_sigv4", "boto3-signed.txt",
      sigv4_input("AWS4-HMAC-SHA256 Credential=AKIDSEGMAKER/" + a.scope() + ", SignedHeaders=" + names + ", Signature=" + sig,
                  "20260101T120000Z", "POST /endpoints/my-ep/invocations?b=2&a=x%2Fy&a=1", headers,
                  "AKID1 secret1\nAKIDSEGMAKER segmaker-secret  # ci", body));
  put("fuzz_sigv4", "malformed.txt",
      sigv4_input("AWS4-HMAC-SHA256 Credential=AK/2026/us-east-1/sagemaker/aws5_request, SignedHeaders=, Signature=00",
                  "2026-01-01T00:00:00Z", "GET /a/./b/../%7Ec//?x&y=%zz&=", {"host: h", "host: h2"}, "only-one-field", ""));
  put("fuzz_sigv4", "sigv2.txt", sigv4_input("AWS AKID:c2lnbmF0dXJl", "20261301T250000Z", "PUT /", {}, "", ""));
}

}  // namespace

// awsQuery bodies as Debian's AWS CLI v2 and boto3 1.26 send them to CloudWatch and STS.
void query_seeds() {
  put("fuzz_query_request", "get-metric-statistics.txt",
      "Action=GetMetricStatistics&Version=2010-08-01&Namespace=%2Faws%2Fsagemaker%2FTrainingJobs&MetricName=validation%3AmIOU"
      "&Dimensions.member.1.Name=TrainingJobName&Dimensions.member.1.Value=pets-1&StartTime=2026-12-07T07%3A00%3A00Z"
      "&EndTime=2026-12-07T08%3A00%3A00Z&Period=60&Statistics.member.1=Average&Statistics.member.2=Maximum");
  put("fuzz_query_request", "get-metric-data.txt",
      "Action=GetMetricData&Version=2010-08-01&MetricDataQueries.member.1.Id=m1"
      "&MetricDataQueries.member.1.MetricStat.Metric.Namespace=AWS%2FSageMaker"
      "&MetricDataQueries.member.1.MetricStat.Metric.MetricName=Invocations"
      "&MetricDataQueries.member.1.MetricStat.Metric.Dimensions.member.1.Name=EndpointName"
      "&MetricDataQueries.member.1.MetricStat.Metric.Dimensions.member.1.Value=ep"
      "&MetricDataQueries.member.1.MetricStat.Period=60&MetricDataQueries.member.1.MetricStat.Stat=Sum"
      "&StartTime=2026-12-07T07%3A00%3A00Z&EndTime=2026-12-07T08%3A00%3A00Z");
  put("fuzz_query_request", "list-metrics.txt", "Action=ListMetrics&Version=2010-08-01&Namespace=%2Faws%2Fsagemaker%2FTrainingJobs");
  put("fuzz_query_request", "get-caller-identity.txt", "Action=GetCallerIdentity&Version=2011-06-15");
}

// fuzz_slurm_text (fuzz/targets/fuzz_slurm_text.cpp): 'J' + one `scontrol show job -o` record as Slurm
// 22.05 prints it, 'M' + an instance-type mapping file (segmaker api --instance-types).
void slurm_text_seeds() {
  const std::string record =
      "JobId=42 JobName=segmaker-pets-1 UserId=alice(1000) GroupId=alice(1000) MCS_label=N/A Priority=4294901759 "
      "Nice=0 Account=(null) QOS=normal JobState=RUNNING Reason=None Dependency=(null) Requeue=1 Restarts=0 "
      "BatchFlag=1 Reboot=0 ExitCode=0:0 RunTime=00:00:12 TimeLimit=01:00:00 TimeMin=N/A "
      "SubmitTime=2026-11-30T10:00:00 EligibleTime=2026-11-30T10:00:00 AccrueTime=2026-11-30T10:00:00 "
      "StartTime=2026-11-30T10:00:01 EndTime=2026-11-30T11:00:01 Deadline=N/A SuspendTime=None SecsPreSuspend=0 "
      "LastSchedEval=2026-11-30T10:00:01 Scheduler=Main Partition=debug AllocNode:Sid=head:4711 ReqNodeList=(null) "
      "ExcNodeList=(null) NodeList=n[1-2] BatchHost=n1 NumNodes=2 NumCPUs=2 NumTasks=2 CPUs/Task=1 "
      "ReqB:S:C:T=0:0:*:* TRES=cpu=2,mem=1800M,node=2,billing=2 Socks/Node=* NtasksPerN:B:S:C=1:0:*:* CoreSpec=* "
      "MinCPUsNode=1 MinMemoryNode=900M MinTmpDiskNode=0 Features=(null) DelayBoot=00:00:00 OverSubscribe=OK "
      "Contiguous=0 Licenses=(null) Network=(null) Command=/var/lib/segmaker/jobs/pets 1/run.sh "
      "WorkDir=/var/lib/segmaker/jobs/pets 1 Comment=segmaker:arn:aws:sagemaker:us-east-1:000000000000:training-job/pets-1 "
      "StdErr=/var/lib/segmaker/jobs/pets 1/slurm.out StdIn=/dev/null StdOut=/var/lib/segmaker/jobs/pets 1/slurm.out Power=\n";
  put("fuzz_slurm_text", "running.txt", "J" + record);
  put("fuzz_slurm_text", "node-fail.txt",
      "JJobId=43 JobName=segmaker-pets-2 JobState=NODE_FAIL Reason=NodeDown Dependency=(null) ExitCode=0:0 "
      "Partition=debug NodeList=n[1-2] BatchHost=n1 NumNodes=2 Comment=segmaker:pets-2 Power=\n");
  put("fuzz_slurm_text", "pending.txt",
      "JJobId=44 JobName=segmaker-pets-3 JobState=PENDING Reason=launch failed requeued held ExitCode=0:0 "
      "NodeList=(null) NumNodes=2-2 Power=\n");
  put("fuzz_slurm_text", "invalid-job-id.txt", "Jslurm_load_jobs error: Invalid job id specified\n");
  put("fuzz_slurm_text", "node.txt",
      "JNodeName=n1 Arch=x86_64 CoresPerSocket=1 CPUAlloc=0 CPUTot=2 NodeAddr=127.0.0.1 State=DOWN* "
      "Reason=Not responding [slurm@2026-11-30T10:06:00]\n");
  put("fuzz_slurm_text", "mapping.json",
      R"(M{"ml.c5.xlarge": {"cpus": 4, "memory_mib": 8000}, "ml.m5.large": {},
  "ml.p3.2xlarge": {"partition": "gpu", "cpus": 8, "memory_mib": 61000, "gpus": 1, "exclusive": true}})");
  put("fuzz_slurm_text", "mapping-test.json", R"(M{"ml.c5.xlarge": {"cpus": 1, "memory_mib": 900}, "ml.m5.large": {"cpus": 1}})");
  put("fuzz_slurm_text", "mapping-bad.json", R"(M{"ml.c5.xlarge": {"cpus": -1, "partition": "a b", "exclusive": "yes", "cores": 2}})");
  put("fuzz_slurm_text", "default-type.txt", "Jml.p3.2xlarge");
}

void manifest_file_seeds() {
  put("fuzz_manifest_file", "manifest.json", R"([{"prefix": "s3://pets/data/train/"}, "Abyssinian_1.jpg", "Abyssinian_100.jpg", "sub/dir/x.jpg"])");
  put("fuzz_manifest_file", "local.json", R"([{"prefix": "file:///data/train/"}, "a.jpg"])");
  put("fuzz_manifest_file", "bad-key.json", R"([{"prefix": "s3://b/p/"}, "../x.jpg", "/abs.jpg", "a//b.jpg", 3, "a.jpg", "a.jpg"])");
  put("fuzz_manifest_file", "no-prefix.json", R"(["a.jpg"])");
}

void augmented_manifest_seeds() {
  put("fuzz_augmented_manifest", "ground-truth.jsonl",
      R"({"source-ref": "s3://pets/img/1.jpg", "pets-ref": "s3://pets/masks/1.png", "pets-ref-metadata": {"internal-color-map": {"0": {"class-name": "BACKGROUND", "hex-color": "#ffffff", "confidence": 0.0}, "1": {"class-name": "cat", "hex-color": "#2ca02c", "confidence": 0.9}}, "type": "groundtruth/semantic-segmentation", "human-annotated": "yes", "creation-date": "2026-12-01T10:00:00.000000", "job-name": "labeling-job/pets"}}
{"source-ref": "s3://pets/img/2.jpg", "pets-ref": "s3://pets/masks/2.png"}
)");
  put("fuzz_augmented_manifest", "skipped.jsonl",
      "{\"source-ref\": \"file:///d/1.jpg\"}\r\n\n{\"source-ref\": 3, \"pets-ref\": \"s3://b/2.png\"}\n"
      "{\"source-ref\": \"s3://b/3.jpg\", \"pets-ref\": \"s3://b/3.png\", \"pets-ref-metadata\": {\"internal-color-map\": {\"0\": {\"hex-color\": \"#000000\"}}}}\n");
  put("fuzz_augmented_manifest", "malformed.jsonl", "{\"source-ref\": \"s3://b/1.jpg\", \"pets-ref\": \"s3://b/1.png\"}\n{\"source-ref\": ");
}

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
  api_request_seeds();
  tuning_request_seeds();
  sigv4_seeds();
  query_seeds();
  slurm_text_seeds();
  manifest_file_seeds();
  augmented_manifest_seeds();
  return 0;
}
