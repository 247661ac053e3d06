// Fuzz target: an awsQuery request body (CloudWatch's and STS's form-encoded POST) as segmaker api
// reads it: httplib's form decoding, then query_request (flattened names → the JSON request), then the
// XML answer and error writers on what came out. Invariants: nothing but ApiError escapes; the XML
// written is well-formed and names the action.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include <httplib.h>
#include <pugixml.hpp>

#include "api/query_protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 8192) return 0;  // httplib refuses larger form bodies before they reach us
  const std::string body(reinterpret_cast<const char*>(data), size);
  httplib::Params params;
  httplib::detail::parse_query_text(body, params);
  try {
    const auto q = segmaker::api::query_request(std::multimap<std::string, std::string>(params.begin(), params.end()));
    const std::string xml = segmaker::api::query_answer_xml(q.action, segmaker::api::query_namespace(q.version), q.request, "id");
    pugi::xml_document doc;
    if (!doc.load_string(xml.c_str())) __builtin_trap();
    if (std::string(doc.first_child().name()) != q.action + "Response") __builtin_trap();
  } catch (const segmaker::api::ApiError& e) {
    const std::string xml = segmaker::api::query_error_xml(e, "", "id");
    pugi::xml_document doc;
    if (!doc.load_string(xml.c_str())) __builtin_trap();
  }
  return 0;
}
