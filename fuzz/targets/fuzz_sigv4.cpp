// Fuzz target: SigV4 on the server side (api/sigv4, api/auth): the Authorization header, the
// X-Amz-Date, percent-decoding, the canonical request, the key file and the whole verification.
// The input is a request in lines:
//   <Authorization value>\n<X-Amz-Date value>\n<METHOD> <target>\n<Name: value>…\n\n<key file>\n\n<body>
// (the key file ends at the next empty line; the whole input is also read as a key file).
// Invariants besides "no crash, no sanitizer report":
//   - parse_authorization gives nothing with a reason, or a consistent value (non-empty access key,
//     8-digit date, aws4_request, at least one lower-case signed header, 64 lower-case hex digits);
//   - percent_decode never grows the text; uri_encode gives unreserved characters and %XX only,
//     and percent_decode(uri_encode(x)) == x; parse_amz_date accepts only yyyymmddThhmmssZ;
//   - a parsed key file has non-empty keys and secrets without spaces or '#'; only UserError escapes;
//   - verify_signature throws only ApiError 403; what it accepts it accepts for the access key the
//     header claims, and refuses 16 minutes later and with one signature digit changed; a request
//     refused only for its signature is accepted once signed with the right one (computed here with
//     canonical_request, string_to_sign and signature).
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "io/sha256.h"
#include "api/api_error.h"
#include "api/auth.h"
#include "api/sigv4.h"
#include "io/error.h"

namespace {

using namespace segmaker::api;

[[noreturn]] void broken(const std::string& what) {
  std::fprintf(stderr, "fuzz_sigv4: invariant broken: %s\n", what.c_str());
  std::fflush(stderr);
  __builtin_trap();
}

bool is_lower_hex(const std::string& s) {
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c)) && (c < 'a' || c > 'f')) return false;
  return true;
}

bool has_space(const std::string& s) {
  for (char c : s)
    if (std::isspace(static_cast<unsigned char>(c))) return true;
  return false;
}

// Splits `text` at '\n' from `pos`, up to the next empty line (or the end); moves `pos` past it.
std::vector<std::string> lines_until_empty(const std::string& text, std::size_t& pos) {
  std::vector<std::string> lines;
  while (pos < text.size()) {
    const std::size_t end = std::min(text.find('\n', pos), text.size());
    const std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty()) break;
    lines.push_back(line);
  }
  return lines;
}

void check_authorization(const std::string& header) {
  std::string why;
  const auto a = parse_authorization(header, &why);
  if (!a) {
    if (why.empty()) broken("parse_authorization refused '" + header + "' without a reason");
    return;
  }
  if (a->access_key.empty() || a->date.size() != 8 || a->terminal != "aws4_request") broken("credential " + a->scope());
  for (char c : a->date)
    if (!std::isdigit(static_cast<unsigned char>(c))) broken("date " + a->date);
  for (const std::string* part : {&a->date, &a->region, &a->service, &a->terminal})
    if (part->find('/') != std::string::npos) broken("scope part with '/': " + *part);
  if (a->signed_headers.empty()) broken("no signed headers accepted");
  for (const auto& h : a->signed_headers) {
    if (h.empty()) broken("an empty signed header name");
    for (char c : h)
      if (std::isupper(static_cast<unsigned char>(c))) broken("signed header not lower case: " + h);
  }
  if (a->signature.size() != 64 || !is_lower_hex(a->signature)) broken("signature " + a->signature);
}

void check_encoding(std::string_view text) {
  const std::string decoded = percent_decode(text);
  if (decoded.size() > text.size()) broken("percent_decode grew the text");
  for (bool keep_slash : {false, true}) {
    const std::string encoded = uri_encode(text, keep_slash);
    for (std::size_t i = 0; i < encoded.size(); ++i) {
      const unsigned char c = static_cast<unsigned char>(encoded[i]);
      if (c == '%') {
        if (i + 2 >= encoded.size()) broken("uri_encode: a cut %XX");
        for (std::size_t k = 1; k <= 2; ++k)
          if (!std::isdigit(static_cast<unsigned char>(encoded[i + k])) && (encoded[i + k] < 'A' || encoded[i + k] > 'F'))
            broken("uri_encode: %XX not upper-case hex");
        i += 2;
      } else if (!std::isalnum(c) && c != '-' && c != '_' && c != '.' && c != '~' && !(keep_slash && c == '/')) {
        broken("uri_encode left a reserved character");
      }
    }
    if (percent_decode(encoded) != text) broken("percent_decode(uri_encode(x)) != x");
  }
}

void check_amz_date(const std::string& text) {
  const auto t = parse_amz_date(text);
  if (!t) return;
  if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z') broken("amz date " + text);
  // Years 0000-9999, days up to 31 of any month, hours to 23, a leap second.
  if (*t < -62167219200LL - 86400LL * 31 || *t > 253402300800LL + 86400LL * 31) broken("amz date out of range " + text);
}

std::optional<AccessKeys> check_key_file(const std::string& text) {
  try {
    AccessKeys keys = AccessKeys::parse(text, "fuzzed key file");
    if (keys.secrets.empty()) broken("an empty key file accepted");
    for (const auto& [id, secret] : keys.secrets)
      if (id.empty() || secret.empty() || has_space(id) || has_space(secret) || id.find('#') != std::string::npos ||
          secret.find('#') != std::string::npos)
        broken("key '" + id + "' '" + secret + "'");
    return keys;
  } catch (const segmaker::UserError&) {
    return std::nullopt;
  }
}

// verify_signature's answer: the caller, or the ApiError (always 403).
struct Verdict {
  std::optional<Caller> caller;
  std::string type, message;
};

Verdict verify(const AccessKeys& keys, const HttpRequestView& request, long long now) {
  Verdict v;
  try {
    v.caller = verify_signature(keys, request, now);
  } catch (const ApiError& e) {
    if (e.status() != 403) broken("verify_signature answered " + std::to_string(e.status()));
    v.type = e.type();
    v.message = e.what();
  }
  return v;
}

HttpRequestView with_authorization(HttpRequestView r, const std::string& authorization) {
  std::vector<std::pair<std::string, std::string>> headers;
  for (auto& h : r.headers) {
    std::string name = h.first;
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name != "authorization") headers.push_back(std::move(h));
  }
  headers.emplace_back("Authorization", authorization);
  r.headers = std::move(headers);
  return r;
}

std::string render(const SigV4Authorization& a, const std::string& signature_hex) {
  std::string names;
  for (const auto& h : a.signed_headers) names += (names.empty() ? "" : ";") + h;
  return "AWS4-HMAC-SHA256 Credential=" + a.access_key + "/" + a.scope() + ", SignedHeaders=" + names +
         ", Signature=" + signature_hex;
}

void check_verification(const AccessKeys& keys, const HttpRequestView& request, long long now) {
  const std::string authorization = header_value(request, "authorization");
  const Verdict v = verify(keys, request, now);
  const Caller claimed = claimed_caller(request);
  if (v.caller) {
    if (v.caller->access_key != claimed.access_key || v.caller->region != claimed.region ||
        !keys.secrets.count(v.caller->access_key))
      broken("accepted for '" + v.caller->access_key + "', the header claims '" + claimed.access_key + "'");
    const Verdict late = verify(keys, request, now + 16 * 60);
    const Verdict early = verify(keys, request, now - 16 * 60);
    if (late.caller || early.caller) broken("a signature accepted 16 minutes away from its date");
    const auto a = parse_authorization(authorization);
    std::string other = a->signature;
    other[0] = other[0] == '0' ? '1' : '0';
    if (verify(keys, with_authorization(request, render(*a, other)), now).caller)
      broken("accepted with a changed signature");
    return;
  }
  // Refused only for the signature: sign it right and it must pass.
  if (v.message.rfind("The request signature we calculated does not match", 0) != 0) return;
  const auto a = parse_authorization(authorization);
  if (!a) broken("a signature compared for a header that does not parse");
  for (const auto& h : a->signed_headers)
    if (h == "authorization") return;  // the new header would change what is signed
  const auto again = parse_authorization(render(*a, a->signature));
  if (!again || again->access_key != a->access_key || again->scope() != a->scope() ||
      again->signed_headers != a->signed_headers)
    return;  // fields with ',' or spaces do not render back: nothing to compare
  const SignedRequest s = signed_request_of(request);
  const std::string expected = signature(keys.secrets.at(a->access_key), *a,
                                         string_to_sign(header_value(request, "x-amz-date"), a->scope(),
                                                        canonical_request(s, a->signed_headers)));
  const Verdict signed_right = verify(keys, with_authorization(request, render(*a, expected)), now);
  if (!signed_right.caller) broken("refused once signed right: " + signed_right.type + ": " + signed_right.message);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  std::size_t pos = 0;
  const std::vector<std::string> head = lines_until_empty(input, pos);
  const std::vector<std::string> key_lines = lines_until_empty(input, pos);
  const std::string body = pos < input.size() ? input.substr(pos) : "";

  const std::string authorization = head.size() > 0 ? head[0] : "";
  const std::string amz_date = head.size() > 1 ? head[1] : "";
  const std::string request_line = head.size() > 2 ? head[2] : "";
  check_authorization(authorization);
  check_amz_date(amz_date);
  check_encoding(input);

  HttpRequestView request;
  const auto space = request_line.find(' ');
  request.method = request_line.substr(0, space);
  request.target = space == std::string::npos ? "/" : request_line.substr(space + 1);
  check_encoding(request.target);
  request.headers.emplace_back("Authorization", authorization);
  request.headers.emplace_back("X-Amz-Date", amz_date);
  for (std::size_t i = 3; i < head.size(); ++i) {
    const auto colon = head[i].find(':');
    const std::string name = head[i].substr(0, colon);
    std::string value = colon == std::string::npos ? "" : head[i].substr(colon + 1);
    request.headers.emplace_back(name, value.erase(0, value.find_first_not_of(' ')));
  }
  request.body = &body;

  // The canonical request over the claimed signed headers (or a fixed list), and its signature.
  std::vector<std::string> names{"content-type", "host", "x-amz-date"};
  if (const auto a = parse_authorization(authorization)) names = a->signed_headers;
  SignedRequest s;
  s.method = request.method;
  s.raw_path = request.target.substr(0, request.target.find('?'));
  s.raw_query = request.target.find('?') == std::string::npos ? "" : request.target.substr(request.target.find('?') + 1);
  s.headers = request.headers;
  s.payload_sha256 = segmaker::io::sha256_hex(body);
  const std::string canonical = canonical_request(s, names);
  if (canonical.size() < s.payload_sha256.size() ||
      canonical.compare(canonical.size() - s.payload_sha256.size(), std::string::npos, s.payload_sha256) != 0)
    broken("the canonical request does not end with the payload hash");

  std::string key_text;
  for (const auto& l : key_lines) key_text += l + "\n";
  (void)check_key_file(input);
  const auto keys = check_key_file(key_text);
  if (keys) {
    const auto signed_at = parse_amz_date(amz_date);
    check_verification(*keys, request, signed_at ? *signed_at : 0);
  }
  return 0;
}
