// S3 requests over libcurl: URL building (path or virtual-host style, encoded keys and sorted query),
// SigV4 through CURLOPT_AWS_SIGV4 with the payload hash we compute, answers and errors.
#include "storage/s3_http.h"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <exception>

#include "io/error.h"
#include "io/sha256.h"
#include "storage/retry.h"
#include "storage/s3_error.h"
#include "storage/s3_xml.h"

namespace segmaker::storage {
namespace {

// curl_global_init is not thread-safe before 7.84's thread-safe init: do it once, first.
void init_curl_once() {
  static const bool done = [] { return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; }();
  (void)done;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

bool transient_curl_error(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_HTTP3:
      return true;
    default:
      return false;
  }
}

// Everything one transfer's callbacks share.
struct Transfer {
  CURL* curl = nullptr;
  const S3Request* request = nullptr;
  S3Response* response = nullptr;
  std::size_t uploaded = 0;
  std::exception_ptr callback_error;
};

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::string line(data, size * count);
  if (line.rfind("HTTP/", 0) == 0) {
    t->response->headers.clear();  // a new answer (after 100 Continue or a redirect)
  } else if (const auto colon = line.find(':'); colon != std::string::npos) {
    t->response->headers[lower(trim(line.substr(0, colon)))] = trim(line.substr(colon + 1));
  }
  return size * count;
}

std::size_t on_write(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  long status = 0;
  curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
  if (status >= 200 && status < 300 && t->request->on_body) {
    try {
      t->request->on_body(data, size * count);
    } catch (...) {
      t->callback_error = std::current_exception();
      return 0;  // curl aborts the transfer with CURLE_WRITE_ERROR
    }
  } else {
    t->response->body.append(data, size * count);
  }
  return size * count;
}

std::size_t on_read(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const auto& body = t->request->body;
  const std::size_t n = std::min(size * count, body.size() - t->uploaded);
  std::copy_n(body.data() + t->uploaded, n, buffer);
  t->uploaded += n;
  return n;
}

std::string split_host(const std::string& endpoint, std::string* scheme) {
  const auto pos = endpoint.find("://");
  *scheme = endpoint.substr(0, pos);
  return endpoint.substr(pos + 3);
}

}  // namespace

std::string S3Response::header(const std::string& name) const {
  auto it = headers.find(lower(name));
  return it == headers.end() ? std::string() : it->second;
}

std::string uri_encode(std::string_view text) {
  init_curl_once();
  char* escaped = curl_easy_escape(nullptr, text.data(), static_cast<int>(text.size()));
  if (!escaped) throw std::bad_alloc();
  std::string out(escaped);
  curl_free(escaped);
  return out;
}

std::string encode_key_path(std::string_view key) {
  std::string out;
  std::size_t start = 0;
  while (true) {
    const auto slash = key.find('/', start);
    out += uri_encode(key.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) break;
    out += '/';
    start = slash + 1;
  }
  return out;
}

std::string canonical_query(const std::vector<std::pair<std::string, std::string>>& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  for (const auto& [name, value] : query) encoded.emplace_back(uri_encode(name), uri_encode(value));
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out += '&';
    out += name + "=" + value;  // "uploads=": curl 7.88 signs the raw query, so it must already be canonical
  }
  return out;
}

S3Http::S3Http(StorageConfig config) : config_(std::move(config)) {
  if (!config_.problem.empty()) throw UserError(config_.problem);
  if (config_.region.empty()) config_.region = "us-east-1";
  init_curl_once();
}

S3Http::~S3Http() {
  for (void* handle : idle_) curl_easy_cleanup(static_cast<CURL*>(handle));
}

std::string S3Http::endpoint() const {
  if (!config_.endpoint.empty()) return config_.endpoint;
  return "https://s3." + config_.region + ".amazonaws.com";
}

std::string S3Http::url(const S3Request& request) const {
  std::string scheme;
  const std::string host = split_host(endpoint(), &scheme);
  std::string url;
  if (config_.virtual_host_style && !request.bucket.empty())
    url = scheme + "://" + request.bucket + "." + host + "/" + encode_key_path(request.key);
  else
    url = scheme + "://" + host + "/" + request.bucket + (request.key.empty() ? "" : "/" + encode_key_path(request.key));
  if (!request.query.empty()) url += "?" + canonical_query(request.query);
  return url;
}

void* S3Http::acquire() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!idle_.empty()) {
      void* handle = idle_.back();
      idle_.pop_back();
      return handle;
    }
  }
  CURL* curl = curl_easy_init();
  if (!curl) throw std::runtime_error("curl_easy_init failed");
  return curl;
}

void S3Http::release(void* handle) {
  curl_easy_reset(static_cast<CURL*>(handle));  // keeps the connection for the next request
  std::lock_guard<std::mutex> lock(mutex_);
  idle_.push_back(handle);
}

namespace {

void set_transfer_options(CURL* curl, const std::string& url, Transfer& transfer, char* error_buffer) {
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_PATH_AS_IS, 1L);  // keys may contain "./" or "../": no squashing
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);  // a stalled transfer (60 s without a byte) fails
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  if (const char* bundle = std::getenv("AWS_CA_BUNDLE"); bundle && *bundle)  // else the system CA store
    curl_easy_setopt(curl, CURLOPT_CAINFO, bundle);
}

void set_method(CURL* curl, const S3Request& request, Transfer& transfer) {
  if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (request.method == "PUT") {
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(curl, CURLOPT_READDATA, &transfer);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  } else if (request.method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  } else if (request.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
}

// The request's headers, and SigV4 by curl with what 7.88 leaves to us: the payload hash (and the
// session token). No credentials: anonymous, as `aws --no-sign-request`.
curl_slist* sign(CURL* curl, const S3Request& request, const StorageConfig& config) {
  curl_slist* headers = nullptr;
  auto add = [&](const std::string& line) { headers = curl_slist_append(headers, line.c_str()); };
  for (const auto& [name, value] : request.headers) add(name + ": " + value);
  if (!config.access_key_id.empty()) {
    io::Sha256 sha;
    sha.update(request.body.data(), request.body.size());
    add("x-amz-content-sha256: " + sha.hex());
    if (!config.session_token.empty()) add("x-amz-security-token: " + config.session_token);
    const std::string provider = "aws:amz:" + config.region + ":s3";
    curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, provider.c_str());
    curl_easy_setopt(curl, CURLOPT_USERNAME, config.access_key_id.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, config.secret_access_key.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  return headers;
}

const std::string& subject_of(const S3Request& request) { return request.about.empty() ? request.key : request.about; }

}  // namespace

S3Response S3Http::perform(const S3Request& request) {
  CURL* curl = static_cast<CURL*>(acquire());
  S3Response response;
  Transfer transfer{curl, &request, &response, 0, nullptr};
  char error_buffer[CURL_ERROR_SIZE] = {0};
  const std::string target = url(request);
  set_transfer_options(curl, target, transfer, error_buffer);
  set_method(curl, request, transfer);
  curl_slist* headers = sign(curl, request, config_);
  const CURLcode code = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  curl_slist_free_all(headers);
  release(curl);
  if (transfer.callback_error) std::rethrow_exception(transfer.callback_error);
  if (code != CURLE_OK) {
    const std::string detail = error_buffer[0] ? error_buffer : curl_easy_strerror(code);
    throw S3Error(request.operation + " s3://" + request.bucket + "/" + subject_of(request) + ": cannot reach S3 at " +
                      endpoint() + " (" + detail +
                      "). Is the server running? Check --s3-endpoint / AWS_ENDPOINT_URL and the network",
                  0, curl_easy_strerror(code), transient_curl_error(code));
  }
  if (response.status >= 300) {
    auto answer = xml::parse_error(response.body);
    if (answer.code.empty()) {  // HEAD answers carry no body; name the status as S3 does
      answer.code = response.status == 404   ? (request.key.empty() ? "NoSuchBucket" : "NotFound")
                    : response.status == 403 ? "Forbidden"
                                             : "HTTP" + std::to_string(response.status);
    }
    throw S3Error(describe_s3_error(request.operation, request.bucket, subject_of(request), response.status,
                                    answer.code, answer.message, config_.endpoint),
                  response.status, answer.code, is_transient_answer(response.status, answer.code));
  }
  return response;
}

S3Response S3Http::call(const S3Request& request, const std::function<void()>& before_attempt,
                        const std::function<void(const S3Response&)>& check) {
  RetryPolicy policy;
  policy.max_attempts = std::max(1, config_.max_attempts);
  policy.base_seconds = config_.retry_base_seconds;
  S3Response response;
  int attempts = 0;
  try {
    with_retries(
        policy,
        [&] {
          ++attempts;
          if (before_attempt) before_attempt();
          response = perform(request);
          if (check) check(response);
        },
        [] {
          try {
            throw;
          } catch (const S3Error& e) {
            return e.transient();
          } catch (...) {
            return false;
          }
        },
        [&](int retry, double delay) {
          spdlog::debug("{} s3://{}/{}: retry {} in {:.2f} s", request.operation, request.bucket, request.key, retry,
                        delay);
        });
  } catch (const S3Error& e) {
    if (attempts <= 1) throw;
    throw S3Error(std::string(e.what()) + " (gave up after " + std::to_string(attempts) + " attempts)",
                  e.http_status(), e.code(), e.transient());
  }
  return response;
}

}  // namespace segmaker::storage
