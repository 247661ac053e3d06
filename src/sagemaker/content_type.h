#pragma once
// Content-type negotiation for /invocations and batch transform: which answer an Accept header
// asks for (q-values and wildcards included) and which request bodies are images we decode.
#include <optional>
#include <string>
#include <vector>

namespace segmaker::sagemaker {

enum class AnswerFormat {
  Png,               // single-channel PNG of class ids (SageMaker's default answer)
  RecordIOProtobuf,  // aialgs.data.Record with the class probabilities, RecordIO-framed
  Json,              // classes, shape, per-class pixel counts and shares, mask as base64 PNG
};

struct AnswerType {
  AnswerFormat format = AnswerFormat::Png;
  // The media type written in the answer's Content-Type: the one the client named
  // (application/x-protobuf and application/x-recordio-protobuf are both honoured as asked).
  std::string content_type = "image/png";
};

// The media types we can answer with, in order of preference for wildcards.
const std::vector<std::string>& supported_accept_types();

// Parses an HTTP Accept header (RFC 9110: comma-separated media ranges with optional q-values,
// wildcards "*/*" and "type/*") and picks the acceptable type with the highest q; ties go to the
// more specific range, then to the earlier one. An empty header means "*/*" (PNG).
// Returns nullopt when nothing we produce is acceptable (the caller answers 406).
std::optional<AnswerType> negotiate_accept(const std::string& accept);

// The answer type for a --accept flag value (exact type, no wildcards). Throws UserError
// listing the supported types.
AnswerType answer_type_from_name(const std::string& name);

// Whether a request Content-Type carries an image we decode (by content): image/jpeg (SageMaker's),
// image/png, application/x-image and the other image/* types we read. Parameters (";charset=...")
// and case are ignored. Types that say nothing about the bytes are decoded by content too: none at
// all (the AWS CLI's default), application/x-www-form-urlencoded (what `curl --data-binary @cat.jpg`
// sends) and application/octet-stream.
bool is_supported_request_type(const std::string& content_type);
const std::vector<std::string>& supported_request_types();

// File extension of a batch-transform answer: ".png" for PNG, ".out" otherwise (SageMaker's name).
std::string answer_file_extension(AnswerFormat format);

}  // namespace segmaker::sagemaker
