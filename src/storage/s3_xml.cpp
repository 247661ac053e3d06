// pugixml over S3's XML: never string search. Element names are matched without namespace prefixes
// (S3 answers in the http://s3.amazonaws.com/doc/2006-03-01/ default namespace).
#include "storage/s3_xml.h"

#include <pugixml.hpp>

#include <ctime>
#include <iomanip>
#include <sstream>

#include "io/error.h"

namespace segmaker::storage::xml {
namespace {

pugi::xml_document load(const std::string& body, const char* what) {
  pugi::xml_document doc;
  const auto result = doc.load_buffer(body.data(), body.size());
  if (!result)
    throw UserError(std::string("S3 answered a ") + what + " that is not valid XML (" + result.description() +
                    "): " + body.substr(0, 200));
  return doc;
}

std::string text_of(const pugi::xml_node& node, const char* child) {
  return node.child(child).text().as_string();
}

std::string strip_quotes(std::string etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
  return etag;
}

// "2026-11-30T04:36:19.000Z" -> epoch seconds (0 when it does not parse).
std::int64_t parse_iso8601(const std::string& text) {
  std::tm tm{};
  std::istringstream in(text);
  in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%S");
  if (in.fail()) return 0;
  return static_cast<std::int64_t>(timegm(&tm));
}

}  // namespace

ErrorAnswer parse_error(const std::string& body) {
  ErrorAnswer answer;
  if (body.empty()) return answer;
  pugi::xml_document doc;
  if (!doc.load_buffer(body.data(), body.size())) return answer;
  const auto error = doc.child("Error");
  if (!error) return answer;
  answer.code = text_of(error, "Code");
  answer.message = text_of(error, "Message");
  return answer;
}

bool is_error_document(const std::string& body) {
  pugi::xml_document doc;
  return doc.load_buffer(body.data(), body.size()) && doc.child("Error");
}

ListPage parse_list_objects_v2(const std::string& body) {
  const auto doc = load(body, "ListObjectsV2 answer");
  const auto root = doc.child("ListBucketResult");
  if (!root) throw UserError("S3 answered ListObjectsV2 without a <ListBucketResult>: " + body.substr(0, 200));
  ListPage page;
  for (const auto& contents : root.children("Contents")) {
    ObjectInfo info;
    info.key = text_of(contents, "Key");
    info.size = contents.child("Size").text().as_ullong();
    info.etag = strip_quotes(text_of(contents, "ETag"));
    info.last_modified = parse_iso8601(text_of(contents, "LastModified"));
    page.objects.push_back(std::move(info));
  }
  page.is_truncated = std::string(text_of(root, "IsTruncated")) == "true";
  page.next_continuation_token = text_of(root, "NextContinuationToken");
  return page;
}

std::string parse_upload_id(const std::string& body) {
  const auto doc = load(body, "CreateMultipartUpload answer");
  const std::string id = text_of(doc.child("InitiateMultipartUploadResult"), "UploadId");
  if (id.empty()) throw UserError("S3 answered CreateMultipartUpload without an UploadId: " + body.substr(0, 200));
  return id;
}

namespace {
std::string to_string(const pugi::xml_document& doc) {
  std::ostringstream out;
  doc.save(out, "", pugi::format_raw);
  return out.str();
}
}  // namespace

std::string complete_multipart_body(const std::vector<std::pair<int, std::string>>& parts) {
  pugi::xml_document doc;
  auto root = doc.append_child("CompleteMultipartUpload");
  root.append_attribute("xmlns") = "http://s3.amazonaws.com/doc/2006-03-01/";
  for (const auto& [number, etag] : parts) {
    auto part = root.append_child("Part");
    part.append_child("PartNumber").text().set(number);
    part.append_child("ETag").text().set(etag.c_str());
  }
  return to_string(doc);
}

std::string delete_objects_body(const std::vector<std::string>& keys) {
  pugi::xml_document doc;
  auto root = doc.append_child("Delete");
  root.append_attribute("xmlns") = "http://s3.amazonaws.com/doc/2006-03-01/";
  root.append_child("Quiet").text().set("true");
  for (const auto& key : keys) root.append_child("Object").append_child("Key").text().set(key.c_str());
  return to_string(doc);
}

std::vector<std::string> parse_delete_errors(const std::string& body) {
  std::vector<std::string> errors;
  const auto doc = load(body, "DeleteObjects answer");
  for (const auto& error : doc.child("DeleteResult").children("Error"))
    errors.push_back(text_of(error, "Key") + ": " + text_of(error, "Code") + " " + text_of(error, "Message"));
  return errors;
}

}  // namespace segmaker::storage::xml
