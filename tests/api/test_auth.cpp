// SigV4 verification against botocore's own signer (python3-botocore): the canonical request
// from the headers actually received, and every refusal with AWS's error code over HTTP.
#include <gtest/gtest.h>

#include <cstdio>
#include <ctime>
#include <memory>

#include "io/sha256.h"
#include "api/api_fixture.h"
#include "api/auth.h"
#include "api/sigv4.h"
#include "io/error.h"
#include "io/paths.h"

namespace segmaker::api {
namespace {

using json = nlohmann::json;

// Runs tests/api/sigv4_client.py with `args`; its JSON output.
json botocore(const std::string& args) {
  const std::string cmd = std::string("/usr/bin/python3 '") + SEGMAKER_SOURCE_DIR + "/tests/api/sigv4_client.py' " + args;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
  std::string out;
  char buf[4096];
  while (pipe && fgets(buf, sizeof buf, pipe.get())) out += buf;
  const json j = json::parse(out, nullptr, false);
  if (j.is_discarded()) ADD_FAILURE() << "sigv4_client.py printed: " << out;
  return j;
}

TEST(SigV4, CanonicalRequestMatchesBotocore) {
  const json d = botocore(
      "--describe --url 'http://127.0.0.1:8700/endpoints/my-ep/invocations?b=2&a=x%2Fy&a=1' --body 'abc' "
      "--content-type image/jpeg --header 'X-Amzn-SageMaker-Custom-Attributes:  a=b   c '");
  SignedRequest r;
  r.method = "POST";
  r.raw_path = "/endpoints/my-ep/invocations";
  r.raw_query = "b=2&a=x%2Fy&a=1";
  for (const auto& h : d["headers"]) r.headers.emplace_back(h[0], h[1]);
  r.payload_sha256 = io::sha256_hex("abc");
  std::string error;
  const auto a = parse_authorization(d["authorization"].get<std::string>(), &error);
  ASSERT_TRUE(a) << error;
  EXPECT_EQ(a->access_key, "AKIDSEGMAKER");
  EXPECT_EQ(a->region, "us-east-1");
  EXPECT_EQ(a->service, "sagemaker");
  EXPECT_EQ(canonical_request(r, a->signed_headers), d["canonical_request"].get<std::string>());

  // And the whole check accepts botocore's signature.
  AccessKeys keys = AccessKeys::parse("AKIDSEGMAKER segmaker-secret\n", "test keys");
  HttpRequestView view;
  view.method = "POST";
  view.target = "/endpoints/my-ep/invocations?b=2&a=x%2Fy&a=1";
  view.headers = r.headers;
  const std::string body = "abc";
  view.body = &body;
  EXPECT_EQ(verify_signature(keys, view, std::time(nullptr)).access_key, "AKIDSEGMAKER");
}

TEST(SigV4, MalformedAuthorizationHeadersAreRefusedWithAReason) {
  for (const char* bad : {"", "AWS4-HMAC-SHA256", "AWS AKID:sig", "AWS4-HMAC-SHA256 Credential=a/b",
                          "AWS4-HMAC-SHA256 Credential=AK/20260101/us-east-1/sagemaker/aws4_request, SignedHeaders=host",
                          "AWS4-HMAC-SHA256 Credential=AK/2026/us-east-1/sagemaker/aws4_request, SignedHeaders=host, Signature=00",
                          "AWS4-HMAC-SHA256 Credential=AK/20260101/us-east-1/sagemaker/aws5_request, SignedHeaders=host, "
                          "Signature=0000000000000000000000000000000000000000000000000000000000000000"}) {
    std::string error;
    EXPECT_FALSE(parse_authorization(bad, &error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
  EXPECT_EQ(parse_amz_date("20260101T000000Z"), 1767225600);
  EXPECT_FALSE(parse_amz_date("20261301T000000Z"));
  EXPECT_FALSE(parse_amz_date("2026-01-01T00:00:00Z"));
}

TEST(SigV4, KeyFileFormat) {
  const AccessKeys keys = AccessKeys::parse("# team keys\nAKID1 secret1\n\n  AKID2   secret2  # ci\n", "k");
  EXPECT_EQ(keys.secrets.at("AKID2"), "secret2");
  EXPECT_NE(test::message_of<UserError>([] { AccessKeys::parse("AKID1\n", "key file 'k'"); }).find("key file 'k' line 1"),
            std::string::npos);
  EXPECT_NE(test::message_of<UserError>([] { AccessKeys::parse("# nothing\n", "k"); }).find("holds no key"), std::string::npos);
}

class AuthService : public ::testing::Test {
 protected:
  void SetUp() override {
    io::write_file_atomic(keys_.path() / "keys", "AKIDSEGMAKER segmaker-secret\nAKIDOTHER other-secret\n");
    ServiceOptions o;
    o.auth_keyfile = keys_.path() / "keys";
    server_ = std::make_unique<test::ApiServer>(o);
    url_ = "http://127.0.0.1:" + std::to_string(server_->port());
  }
  json signed_call(const std::string& extra) {
    return botocore("--url " + url_ + "/ --target SageMaker.ListTrainingJobs " + extra);
  }
  static std::string type_of(const json& answer) {
    const json body = json::parse(answer.value("body", std::string()), nullptr, false);
    return body.is_object() ? body.value("__type", std::string()) : std::string();
  }
  test::TempDir keys_;
  std::unique_ptr<test::ApiServer> server_;
  std::string url_;
};

TEST_F(AuthService, SignedRequestsPassAndEveryOtherIsRefusedWithAwsCodes) {
  EXPECT_EQ(signed_call("")["status"], 200);
  EXPECT_EQ(signed_call("--access-key AKIDOTHER --secret other-secret")["status"], 200);
  EXPECT_EQ(signed_call("--skew 600")["status"], 200) << "10 minutes of clock skew are allowed";

  const auto unsigned_call = [&] {
    test::ApiReply r = server_->call("ListTrainingJobs");
    return std::make_pair(r.status, r.type());
  }();
  EXPECT_EQ(unsigned_call.first, 403);
  EXPECT_EQ(unsigned_call.second, "MissingAuthenticationToken");

  const json wrong_secret = signed_call("--secret wrong");
  EXPECT_EQ(wrong_secret["status"], 403);
  EXPECT_EQ(type_of(wrong_secret), "InvalidSignatureException");
  const json unknown_key = signed_call("--access-key AKIDNOBODY");
  EXPECT_EQ(unknown_key["status"], 403);
  EXPECT_EQ(type_of(unknown_key), "UnrecognizedClientException");
  const json expired = signed_call("--skew -1200");
  EXPECT_EQ(expired["status"], 403);
  EXPECT_EQ(type_of(expired), "InvalidSignatureException");
  EXPECT_NE(expired["body"].get<std::string>().find("Signature expired"), std::string::npos) << expired;
  const json future = signed_call("--skew 1200");
  EXPECT_EQ(future["status"], 403);
  EXPECT_EQ(type_of(future), "InvalidSignatureException");
  const json tampered = signed_call("--tamper");
  EXPECT_EQ(tampered["status"], 403);
  EXPECT_EQ(type_of(tampered), "InvalidSignatureException");
  const json other_service = signed_call("--service s3");
  EXPECT_EQ(other_service["status"], 403);

  // The runtime: signed → the request reaches the endpoint lookup; unsigned → 403 with the header.
  const json invoke = botocore("--url " + url_ + "/endpoints/nope/invocations --content-type image/jpeg --body x");
  EXPECT_EQ(invoke["status"], 400);
  EXPECT_EQ(invoke["error_type"], "ValidationError");
  auto c = server_->client();
  auto res = c.Post("/endpoints/nope/invocations", "x", "image/jpeg");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
  EXPECT_EQ(res->get_header_value("x-amzn-ErrorType"), "MissingAuthenticationToken");
  // The log route is protected too.
  EXPECT_EQ(c.Get("/logs/training-jobs/x")->status, 403);
}

TEST(AuthOptions, PublicAddressNeedsAuthOrInsecure) {
  test::TempDir dir;
  ServiceOptions o;
  o.host = "0.0.0.0";
  o.root = dir / "root";
  o.executable = SEGMAKER_BINARY;
  const std::string m = test::message_of<UserError>([&] { Service s(o); });
  EXPECT_NE(m.find("--auth KEYFILE"), std::string::npos) << m;
  EXPECT_NE(m.find("--insecure"), std::string::npos) << m;
  o.insecure = true;
  EXPECT_NO_THROW(Service s(o));
  EXPECT_TRUE(is_loopback_host("127.0.0.1"));
  EXPECT_TRUE(is_loopback_host("127.1.2.3"));
  EXPECT_TRUE(is_loopback_host("localhost"));
  EXPECT_FALSE(is_loopback_host("10.0.0.1"));
}

}  // namespace
}  // namespace segmaker::api
