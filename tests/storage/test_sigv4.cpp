// segmaker's SigV4 against botocore's. s3rver does not check signatures, so a small local HTTP
// listener records exactly what segmaker sends (GET, PUT, a ListObjectsV2 with an encoded prefix and
// a continuation token, the multipart calls and a part), answers the way S3 would, and botocore
// (python3-botocore, S3SigV4Auth) signs the same requests at the same x-amz-date: the Authorization
// headers must be identical.
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <mutex>
#include <thread>

#include "io/paths.h"
#include "storage/s3_storage.h"
#include "support/test_util.h"

namespace fs = std::filesystem;

namespace segmaker::storage {
namespace {

struct Recorded {
  std::string method, target, body;
  std::map<std::string, std::string> headers;  // lower-cased
};

// Answers like S3 for the few calls the test makes and records every request.
class RecordingListener {
 public:
  RecordingListener() {
    auto handler = [this](const httplib::Request& req, httplib::Response& res) { answer(req, res); };
    server_.Get(".*", handler);
    server_.Put(".*", handler);
    server_.Post(".*", handler);
    server_.Delete(".*", handler);
    port_ = server_.bind_to_any_port("127.0.0.1");  // bound before the thread: no race with the client
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~RecordingListener() {
    server_.stop();
    thread_.join();
  }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<Recorded> requests() {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }

 private:
  void answer(const httplib::Request& req, httplib::Response& res) {
    Recorded r{req.method, req.target, req.body, {}};
    for (const auto& [name, value] : req.headers) {
      std::string lower = name;
      for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      r.headers[lower] = value;
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      requests_.push_back(r);
    }
    const std::string xmlns = " xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"";
    if (req.has_param("list-type")) {
      const bool first = !req.has_param("continuation-token");
      res.set_content("<?xml version=\"1.0\"?><ListBucketResult" + xmlns + "><Name>pets</Name>" +
                          (first ? "<Contents><Key>ss/train/a b.jpg</Key><Size>3</Size><ETag>\"e1\"</ETag></Contents>"
                                   "<IsTruncated>true</IsTruncated><NextContinuationToken>1/ab+c= d</NextContinuationToken>"
                                 : "<Contents><Key>ss/train/c.jpg</Key><Size>4</Size><ETag>\"e2\"</ETag></Contents>"
                                   "<IsTruncated>false</IsTruncated>") +
                          "</ListBucketResult>",
                      "application/xml");
    } else if (req.method == "POST" && req.has_param("uploads")) {
      res.set_content("<InitiateMultipartUploadResult" + xmlns + "><UploadId>2~VXb.rz_3-x+y/z=</UploadId>"
                      "</InitiateMultipartUploadResult>", "application/xml");
    } else if (req.method == "POST" && req.has_param("uploadId")) {
      res.set_content("<CompleteMultipartUploadResult" + xmlns + "><ETag>\"all-2\"</ETag>"
                      "</CompleteMultipartUploadResult>", "application/xml");
    } else if (req.method == "POST" && req.has_param("delete")) {
      res.set_content("<DeleteResult" + xmlns + "/>", "application/xml");
    } else if (req.method == "PUT") {
      res.set_header("ETag", "\"etag-" + std::to_string(requests().size()) + "\"");
    } else if (req.method == "GET") {
      res.set_header("ETag", "\"e0\"");
      res.set_content("hello", "application/octet-stream");
    }
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<Recorded> requests_;
};

// The Authorization (and payload hash) botocore computes for each recorded request.
nlohmann::json botocore_signatures(const std::vector<Recorded>& requests, const std::string& endpoint,
                                   const StorageConfig& config, const fs::path& dir) {
  nlohmann::json spec{{"access_key", config.access_key_id},
                      {"secret_key", config.secret_access_key},
                      {"token", config.session_token},
                      {"region", config.region},
                      {"requests", nlohmann::json::array()}};
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const auto& r = requests[i];
    const fs::path body = dir / ("body" + std::to_string(i));
    std::ofstream(body, std::ios::binary) << r.body;
    spec["requests"].push_back({{"method", r.method},
                                {"url", endpoint + r.target},
                                {"headers", r.headers},
                                {"body_file", body.string()},
                                {"amz_date", r.headers.at("x-amz-date")}});
  }
  std::ofstream(dir / "spec.json") << spec.dump();
  const std::string command = "/usr/bin/python3 '" + std::string(SEGMAKER_SOURCE_DIR) +
                              "/tests/storage/sigv4_reference.py' '" + (dir / "spec.json").string() + "' > '" +
                              (dir / "out.json").string() + "' 2> '" + (dir / "err.txt").string() + "'";
  if (std::system(command.c_str()) != 0)
    throw std::runtime_error("botocore reference failed: " + io::read_file(dir / "err.txt"));
  return nlohmann::json::parse(io::read_file(dir / "out.json"));
}

class SigV4 : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::system("/usr/bin/python3 -c 'import botocore.auth' 2>/dev/null") != 0)
      GTEST_SKIP() << "python3-botocore is not installed (scripts/install-deps installs it)";
  }
  // Runs `requests` against the listener and compares every Authorization with botocore's.
  void expect_botocore_agrees(const StorageConfig& base, const std::function<void(S3Storage&)>& requests,
                              std::size_t expected_count) {
    RecordingListener listener;
    StorageConfig config = base;
    config.endpoint = listener.endpoint();
    config.max_attempts = 1;
    S3Storage s3(config);
    requests(s3);
    const auto recorded = listener.requests();
    ASSERT_EQ(recorded.size(), expected_count);
    const auto reference = botocore_signatures(recorded, listener.endpoint(), config, dir_.path());
    for (std::size_t i = 0; i < recorded.size(); ++i) {
      SCOPED_TRACE(recorded[i].method + " " + recorded[i].target);
      ASSERT_TRUE(recorded[i].headers.count("authorization"));
      EXPECT_EQ(recorded[i].headers.at("authorization"), reference[i]["authorization"].get<std::string>());
      EXPECT_EQ(recorded[i].headers.at("x-amz-content-sha256"), reference[i]["x-amz-content-sha256"].get<std::string>());
    }
    recorded_ = recorded;
  }
  StorageConfig credentials() const {
    StorageConfig c;
    c.access_key_id = "AKIDEXAMPLE";
    c.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    c.region = "eu-west-1";
    c.progress = false;
    return c;
  }
  test::TempDir dir_;
  std::vector<Recorded> recorded_;
};

TEST_F(SigV4, GetAndPutMatchBotocore) {
  expect_botocore_agrees(
      credentials(),
      [](S3Storage& s3) {
        EXPECT_EQ(s3.read(parse_location("s3://pets/data/train/my cat+1.jpg")), "hello");
        s3.write(parse_location("s3://pets/data/labels (v2)/classes.json"), "{\"num_classes\": 3}");
      },
      2);
  EXPECT_EQ(recorded_[0].target, "/pets/data/train/my%20cat%2B1.jpg");
  EXPECT_EQ(recorded_[1].method, "PUT");
  EXPECT_EQ(recorded_[1].body, "{\"num_classes\": 3}");
}

TEST_F(SigV4, ListObjectsV2WithEncodedPrefixAndContinuationTokenMatchesBotocore) {
  expect_botocore_agrees(
      credentials(),
      [](S3Storage& s3) {
        const auto objects = s3.list(parse_location("s3://pets/ss/train/"));
        ASSERT_EQ(objects.size(), 2u);
        EXPECT_EQ(objects[0].key, "ss/train/a b.jpg");
        EXPECT_EQ(objects[1].etag, "e2");
      },
      2);
  EXPECT_EQ(recorded_[0].target, "/pets?list-type=2&prefix=ss%2Ftrain%2F");
  EXPECT_EQ(recorded_[1].target, "/pets?continuation-token=1%2Fab%2Bc%3D%20d&list-type=2&prefix=ss%2Ftrain%2F");
}

TEST_F(SigV4, MultipartCallsAndAPartMatchBotocoreWithASessionToken) {
  StorageConfig config = credentials();
  config.session_token = "FQoGZXIvYXdzE+token/with=chars";
  config.multipart_threshold = 5ull << 20;
  config.part_size = 5ull << 20;
  config.parallel = 1;
  const std::string bytes((5ull << 20) + 123, 'x');
  expect_botocore_agrees(
      config, [&](S3Storage& s3) { s3.write(parse_location("s3://pets/models/model.tar.gz"), bytes); },
      4);  // create, 2 parts, complete
  EXPECT_EQ(recorded_[0].target, "/pets/models/model.tar.gz?uploads=");
  EXPECT_EQ(recorded_[1].target, "/pets/models/model.tar.gz?partNumber=1&uploadId=2~VXb.rz_3-x%2By%2Fz%3D");
  EXPECT_EQ(recorded_[1].body.size(), 5u << 20);
  EXPECT_EQ(recorded_[3].target, "/pets/models/model.tar.gz?uploadId=2~VXb.rz_3-x%2By%2Fz%3D");
  EXPECT_NE(recorded_[3].body.find("<PartNumber>2</PartNumber><ETag>"), std::string::npos) << recorded_[3].body;
  EXPECT_EQ(recorded_[1].headers.at("x-amz-security-token"), config.session_token);
}

TEST_F(SigV4, DeleteObjectsWithContentMd5MatchesBotocore) {
  expect_botocore_agrees(
      credentials(), [](S3Storage& s3) { s3.remove_prefix(parse_location("s3://pets/ss/train/")); },
      3);  // two list pages, one DeleteObjects
  EXPECT_EQ(recorded_[2].target, "/pets?delete=");
  EXPECT_TRUE(recorded_[2].headers.count("content-md5"));
}

}  // namespace
}  // namespace segmaker::storage
