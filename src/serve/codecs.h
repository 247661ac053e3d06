#pragma once
// Codecs: pure functions from a Prediction to answer bytes, shared by `segmaker serve` and
// `segmaker predict` and testable without a network. Torch-free.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>
#include <opencv2/core.hpp>

#include "inference/prediction.h"
#include "sagemaker/content_type.h"

namespace segmaker::serve {

// Class-id mask (CV_8UC1) → single-channel 8-bit PNG of the same width and height.
std::string encode_mask_png(const cv::Mat& mask);

// Probabilities [C, H, W] (flat C-order) → one RecordIO-framed aialgs.data.Record:
// features["target"].float32_tensor = the values with shape [1, C, H, W];
// features["shape"].int32_tensor = [1, C, H, W]. Throws DataError when sizes disagree.
// The record is serialised straight into the framed answer (no payload copy, no framing copy); the
// rvalue overload frees the probabilities as soon as the record holds them.
std::string encode_probabilities_recordio(const std::vector<float>& probabilities, int num_classes, int height,
                                          int width);
std::string encode_probabilities_recordio(std::vector<float>&& probabilities, int num_classes, int height, int width);

// Per-class pixel counts of a mask (ids >= num_classes are counted in the last slot, "other").
std::vector<std::int64_t> class_pixel_counts(const cv::Mat& mask, int num_classes);

// The JSON answer: {"classes": [...], "shape": [1, C, H, W], "height", "width",
// "pixels": [{"id", "name", "count", "share"}...], "mask": {"content_type": "image/png",
// "encoding": "base64", "data": "..."}}. `classes` may be shorter than num_classes (ids are named "class_<id>").
nlohmann::json encode_json_answer(const inference::Prediction& prediction, const std::vector<std::string>& classes);

// The answer bytes for `format` (RecordIO needs prediction.probabilities). The rvalue overload
// gives the probabilities up while encoding (the endpoint's answers: one copy less at the peak).
std::string encode_answer(sagemaker::AnswerFormat format, const inference::Prediction& prediction,
                          const std::vector<std::string>& classes);
std::string encode_answer(sagemaker::AnswerFormat format, inference::Prediction&& prediction, const std::vector<std::string>& classes);

// Whether `format` needs the probabilities (not just the mask).
inline bool needs_probabilities(sagemaker::AnswerFormat format) { return format == sagemaker::AnswerFormat::RecordIOProtobuf; }

// Standard base64 (RFC 4648, with padding).
std::string base64_encode(const std::string& bytes);

// {"error": {"code": status, "message": message}} as compact JSON text. Never throws on the
// message's bytes: invalid UTF-8 (a client's percent-decoded path, a header) becomes U+FFFD.
std::string error_body(int status, const std::string& message);

// JSON text of `j` with invalid UTF-8 replaced by U+FFFD instead of an exception.
std::string safe_dump(const nlohmann::json& j);

// A value a client sent (a header, a path) made fit to quote in a message: at most `max_bytes`
// bytes ("…" after a cut), control characters as '?'.
std::string quote_client_value(const std::string& value, std::size_t max_bytes = 80);

}  // namespace segmaker::serve
