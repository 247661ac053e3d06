#include "sagemaker/content_type.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "io/error.h"

namespace segmaker::sagemaker {
namespace {

std::string trim(const std::string& s) {
  std::size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t pos = s.find(sep, start);
    parts.push_back(s.substr(start, pos == std::string::npos ? std::string::npos : pos - start));
    if (pos == std::string::npos) break;
    start = pos + 1;
  }
  return parts;
}

// The bare media type: lower-cased, parameters dropped.
std::string media_type(const std::string& value) { return lower(trim(split(value, ';').front())); }

AnswerType type_for(const std::string& name) {
  if (name == "image/png") return {AnswerFormat::Png, name};
  if (name == "application/x-recordio-protobuf" || name == "application/x-protobuf")
    return {AnswerFormat::RecordIOProtobuf, name};
  return {AnswerFormat::Json, "application/json"};
}

struct MediaRange {
  std::string type;     // "image", "*"
  std::string subtype;  // "png", "*"
  double q = 1.0;
  int specificity = 0;  // 0 = */*, 1 = type/*, 2 = type/subtype
  std::size_t order = 0;
};

std::optional<MediaRange> parse_range(const std::string& item, std::size_t order) {
  const auto params = split(item, ';');
  const std::string mt = lower(trim(params[0]));
  if (mt.empty()) return std::nullopt;
  MediaRange r;
  r.order = order;
  const auto slash = mt.find('/');
  if (slash == std::string::npos) {
    if (mt != "*") return std::nullopt;  // a lone "*" is a common shorthand for */*
    r.type = r.subtype = "*";
  } else {
    r.type = trim(mt.substr(0, slash));
    r.subtype = trim(mt.substr(slash + 1));
  }
  if (r.type == "*" && r.subtype != "*") return std::nullopt;
  r.specificity = r.type == "*" ? 0 : (r.subtype == "*" ? 1 : 2);
  for (std::size_t i = 1; i < params.size(); ++i) {
    const std::string p = trim(params[i]);
    const auto eq = p.find('=');
    if (eq == std::string::npos || lower(trim(p.substr(0, eq))) != "q") continue;
    const std::string value = trim(p.substr(eq + 1));
    char* end = nullptr;
    const double q = std::strtod(value.c_str(), &end);
    if (end == value.c_str() || *end != '\0' || q < 0.0 || q > 1.0) return std::nullopt;  // malformed: ignore the range
    r.q = q;
  }
  return r;
}

bool matches(const MediaRange& r, const std::string& type) {
  if (r.specificity == 0) return true;
  const auto slash = type.find('/');
  if (r.type != type.substr(0, slash)) return false;
  return r.specificity == 1 || r.subtype == type.substr(slash + 1);
}

}  // namespace

const std::vector<std::string>& supported_accept_types() {
  static const std::vector<std::string> types{"image/png", "application/x-recordio-protobuf",
                                              "application/x-protobuf", "application/json"};
  return types;
}

std::optional<AnswerType> negotiate_accept(const std::string& accept) {
  std::vector<MediaRange> ranges;
  const auto items = split(accept, ',');
  for (std::size_t i = 0; i < items.size(); ++i)
    if (auto r = parse_range(items[i], i)) ranges.push_back(*r);
  if (trim(accept).empty()) return type_for("image/png");
  if (ranges.empty()) return std::nullopt;

  // For each type we produce, its q is the one of the most specific range that matches it.
  std::optional<AnswerType> best;
  double best_q = 0.0;
  int best_specificity = -1;
  std::size_t best_order = 0;
  for (const auto& type : supported_accept_types()) {
    const MediaRange* match = nullptr;
    for (const auto& r : ranges) {
      if (!matches(r, type)) continue;
      if (!match || r.specificity > match->specificity) match = &r;
    }
    if (!match || match->q <= 0.0) continue;
    // Wildcards resolve to our preference order (image/png first); a named type wins a tie.
    const bool better = !best || match->q > best_q ||
                        (match->q == best_q && (match->specificity > best_specificity ||
                                                (match->specificity == best_specificity && match->specificity == 2 &&
                                                 match->order < best_order)));
    if (better) {
      best = type_for(type);
      best_q = match->q;
      best_specificity = match->specificity;
      best_order = match->order;
    }
  }
  return best;
}

AnswerType answer_type_from_name(const std::string& name) {
  const std::string mt = media_type(name);
  for (const auto& type : supported_accept_types())
    if (mt == type) return type_for(type);
  std::string list;
  for (const auto& type : supported_accept_types()) list += (list.empty() ? "" : ", ") + type;
  throw UserError("unsupported answer type '" + name + "': expected one of " + list);
}

const std::vector<std::string>& supported_request_types() {
  static const std::vector<std::string> types{"image/jpeg", "image/jpg", "image/png", "image/gif",
                                              "image/bmp",  "image/webp", "image/tiff", "application/x-image"};
  return types;
}

bool is_supported_request_type(const std::string& content_type) {
  const std::string mt = media_type(content_type);
  if (mt.empty() || mt == "application/x-www-form-urlencoded" || mt == "application/octet-stream") return true;
  const auto& types = supported_request_types();
  return std::find(types.begin(), types.end(), mt) != types.end();
}

std::string answer_file_extension(AnswerFormat format) { return format == AnswerFormat::Png ? ".png" : ".out"; }

}  // namespace segmaker::sagemaker
