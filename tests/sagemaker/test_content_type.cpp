#include <gtest/gtest.h>

#include "io/error.h"
#include "sagemaker/content_type.h"

namespace segmaker::sagemaker {
namespace {

std::string negotiated(const std::string& accept) {
  const auto t = negotiate_accept(accept);
  return t ? t->content_type : "406";
}

TEST(Accept, ExactTypes) {
  EXPECT_EQ(negotiated("image/png"), "image/png");
  EXPECT_EQ(negotiated("application/x-recordio-protobuf"), "application/x-recordio-protobuf");
  EXPECT_EQ(negotiated("application/x-protobuf"), "application/x-protobuf");
  EXPECT_EQ(negotiated("application/json"), "application/json");
  EXPECT_EQ(negotiate_accept("application/x-protobuf")->format, AnswerFormat::RecordIOProtobuf);
  EXPECT_EQ(negotiate_accept("application/json")->format, AnswerFormat::Json);
}

TEST(Accept, EmptyAndWildcardsDefaultToPng) {
  EXPECT_EQ(negotiated(""), "image/png");
  EXPECT_EQ(negotiated("*/*"), "image/png");
  EXPECT_EQ(negotiated("*"), "image/png");
  EXPECT_EQ(negotiated("image/*"), "image/png");
  EXPECT_EQ(negotiated("application/*"), "application/x-recordio-protobuf");
}

TEST(Accept, CaseParametersAndSpaces) {
  EXPECT_EQ(negotiated(" Application/JSON ; charset=utf-8 "), "application/json");
  EXPECT_EQ(negotiated("text/html, application/json;q=0.9"), "application/json");
}

TEST(Accept, QValuesPickTheHighest) {
  EXPECT_EQ(negotiated("image/png;q=0.5, application/json"), "application/json");
  EXPECT_EQ(negotiated("image/png;q=0.5, application/json;q=0.4"), "image/png");
  // A browser's header: the named JSON beats the wildcard at lower q.
  EXPECT_EQ(negotiated("text/html,application/xhtml+xml,application/json;q=0.9,*/*;q=0.8"), "application/json");
  // Equal q: the named type beats the wildcard; among named types the first one wins.
  EXPECT_EQ(negotiated("*/*, application/json"), "application/json");
  EXPECT_EQ(negotiated("application/x-protobuf, application/json"), "application/x-protobuf");
  EXPECT_EQ(negotiated("application/json, application/x-protobuf"), "application/json");
}

TEST(Accept, QZeroExcludes) {
  EXPECT_EQ(negotiated("image/png;q=0, */*"), "application/x-recordio-protobuf");
  EXPECT_EQ(negotiated("*/*;q=0"), "406");
  EXPECT_EQ(negotiated("image/*, image/png;q=0"), "406");
}

TEST(Accept, UnsupportedGives406) {
  EXPECT_EQ(negotiated("text/html"), "406");
  EXPECT_EQ(negotiated("image/jpeg"), "406");
  EXPECT_EQ(negotiated("text/*, video/mp4"), "406");
  EXPECT_EQ(negotiated("image/png;q=abc"), "406");  // a malformed range is ignored
}

TEST(Accept, FlagNames) {
  EXPECT_EQ(answer_type_from_name("image/png").format, AnswerFormat::Png);
  EXPECT_EQ(answer_type_from_name("application/x-protobuf").format, AnswerFormat::RecordIOProtobuf);
  EXPECT_THROW(answer_type_from_name("*/*"), UserError);
  EXPECT_THROW(answer_type_from_name("text/csv"), UserError);
  EXPECT_EQ(answer_file_extension(AnswerFormat::Png), ".png");
  EXPECT_EQ(answer_file_extension(AnswerFormat::Json), ".out");
  EXPECT_EQ(answer_file_extension(AnswerFormat::RecordIOProtobuf), ".out");
}

TEST(ContentType, RequestTypes) {
  EXPECT_TRUE(is_supported_request_type("image/jpeg"));
  EXPECT_TRUE(is_supported_request_type("IMAGE/PNG"));
  EXPECT_TRUE(is_supported_request_type("application/x-image"));
  EXPECT_TRUE(is_supported_request_type("image/jpeg; charset=binary"));
  EXPECT_TRUE(is_supported_request_type(""));
  EXPECT_FALSE(is_supported_request_type("text/plain"));
  EXPECT_FALSE(is_supported_request_type("application/json"));
  // What `curl --data-binary @cat.jpg` sends says nothing about the bytes: decoded by content
  // (issue 13, defect 4; it used to be refused, and httplib then answered a wrong 413).
  EXPECT_TRUE(is_supported_request_type("application/x-www-form-urlencoded"));
  EXPECT_TRUE(is_supported_request_type("application/octet-stream"));
}

}  // namespace
}  // namespace segmaker::sagemaker
