// The endpoint's connection handling: a poller for request heads, a request lane and a fast lane.
#include "serve/http_front.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>

#include "io/error.h"

namespace segmaker::serve {

// A fixed set of threads serving connections from a bounded queue.
class HttpFront::Lane {
 public:
  using Work = std::function<void(std::unique_ptr<Connection>)>;
  Lane(int threads, std::size_t max_waiting, Work work) : max_waiting_(max_waiting), work_(std::move(work)) {
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
  }
  ~Lane() { stop(); }

  // Queues `c` (then `c` is empty); false when the queue is full or the lane stopped.
  bool push(std::unique_ptr<Connection>& c) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopped_ || queue_.size() >= max_waiting_ + static_cast<std::size_t>(idle_)) return false;
      queue_.push_back(std::move(c));
    }
    cv_.notify_one();
    return true;
  }

  // Serves what is queued, then joins. Idempotent.
  void stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopped_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_)
      if (t.joinable()) t.join();
  }

 private:
  void run() {
    for (;;) {
      std::unique_ptr<Connection> c;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        ++idle_;
        cv_.wait(lock, [this] { return stopped_ || !queue_.empty(); });
        --idle_;
        if (queue_.empty()) return;  // stopped and drained
        c = std::move(queue_.front());
        queue_.pop_front();
      }
      try {
        work_(std::move(c));
      } catch (const std::exception& e) {
        spdlog::error("http: connection failed: {}", e.what());
      } catch (...) {
        spdlog::error("http: connection failed");
      }
    }
  }

  const std::size_t max_waiting_;
  Work work_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<Connection>> queue_;
  int idle_ = 0;  // threads waiting for work: a connection for them is not "waiting"
  bool stopped_ = false;
  std::vector<std::thread> threads_;
};

// httplib's task queue: hands each accepted socket to the front at once (never blocks the accept
// loop); its shutdown (the end of listen) drains the front.
class HttpFront::InlineQueue : public httplib::TaskQueue {
 public:
  explicit InlineQueue(HttpFront& front) : front_(front) {}
  void enqueue(std::function<void()> fn) override { fn(); }
  void shutdown() override { front_.drain(); }

 private:
  HttpFront& front_;
};

namespace {

// How long, and how many bytes, a connection closed before its request was read is drained.
constexpr auto kLinger = std::chrono::seconds(2);
constexpr std::size_t kMaxLingerBytes = 64u << 20;

// Reads and drops what a lingering connection sends; false when it is done (closed, over the cap).
bool drain_lingering(Connection& c) {
  char sink[65536];
  for (;;) {
    const ssize_t n = ::recv(c.fd(), sink, sizeof sink, MSG_DONTWAIT);
    if (n > 0) {
      c.lingered_bytes += static_cast<std::size_t>(n);
      if (c.lingered_bytes > kMaxLingerBytes) return false;
      continue;
    }
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR);
  }
}

bool is_body_method(const std::string& method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

}  // namespace

HttpFront::HttpFront(HttpLimits limits, int request_threads, std::size_t max_body_wire_bytes)
    : limits_(limits), max_body_wire_bytes_(max_body_wire_bytes) {
  if (request_threads < 1) throw UserError("--http-threads must be at least 1");
  if (limits_.fast_threads < 1) throw UserError("the fast lane needs at least 1 thread");
  if (limits_.max_connections < request_threads + limits_.fast_threads)
    throw UserError("--max-connections must be at least --http-threads + " + std::to_string(limits_.fast_threads));
  if (limits_.max_connections > 900) throw UserError("--max-connections must be at most 900 (select()'s FD_SETSIZE)");
  if (::pipe2(wake_fds_, O_CLOEXEC | O_NONBLOCK) != 0) throw std::runtime_error("http: cannot create a pipe");
  auto serve = [this](std::unique_ptr<Connection> c) { serve_and_continue(std::move(c)); };
  request_lane_ = std::make_unique<Lane>(request_threads, static_cast<std::size_t>(request_threads), serve);
  fast_lane_ = std::make_unique<Lane>(limits_.fast_threads, static_cast<std::size_t>(limits_.max_connections), serve);
  health_lane_ = std::make_unique<Lane>(1, static_cast<std::size_t>(limits_.max_connections), serve);
  new_task_queue = [this] { return new InlineQueue(*this); };
  poller_ = std::thread([this] { poll_loop(); });
}

HttpFront::~HttpFront() {
  drain();
  ::close(wake_fds_[0]);
  ::close(wake_fds_[1]);
}

std::shared_ptr<ConnectionState> HttpFront::connection_of(const httplib::Request&) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = active_.find(std::this_thread::get_id());
  return it == active_.end() ? nullptr : it->second;
}

HttpFrontStats HttpFront::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

void HttpFront::widen_backlog(int backlog) {
  const socket_t sock = svr_sock_;
  if (sock != INVALID_SOCKET) ::listen(sock, backlog);  // Linux updates the backlog of a listening socket
}

void HttpFront::wake() {
  const char byte = 1;
  [[maybe_unused]] const ssize_t n = ::write(wake_fds_[1], &byte, 1);  // a full pipe is awake already
}

bool HttpFront::process_and_close_socket(socket_t sock) {
  if (stopping_ || live_.load() >= limits_.max_connections) {
    ::close(sock);
    std::lock_guard<std::mutex> lock(mutex_);
    ++stats_.refused;
    return false;
  }
  const int one = 1;
  ::setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // small answers leave at once
  live_.fetch_add(1);
  auto c = std::make_unique<Connection>(sock, &live_);
  c->deadline = Clock::now() + limits_.head_timeout;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++stats_.accepted;
    incoming_.push_back(std::move(c));
  }
  wake();
  return true;
}

void HttpFront::serve_and_continue(std::unique_ptr<Connection> c) {
  bool linger_first = false;
  auto next = serve_one(std::move(c), &linger_first);
  if (!next) return;
  if (linger_first) return linger(std::move(next));
  wait_for_head(std::move(next));
}

void HttpFront::linger(std::unique_ptr<Connection> c) {
  if (stopping_) return;
  ::shutdown(c->fd(), SHUT_WR);  // the answer is complete: FIN after it
  c->lingering = true;
  c->deadline = Clock::now() + kLinger;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    incoming_.push_back(std::move(c));
  }
  wake();
}

void HttpFront::wait_for_head(std::unique_ptr<Connection> c) {
  if (stopping_) return;  // closed
  c->idle = true;
  c->deadline = Clock::now() + limits_.idle_timeout;
  if (c->has_buffered_bytes()) {
    const auto status = c->buffered_head(limits_.max_head_bytes, limits_.max_header_count);
    if (status == Connection::HeadStatus::TooLarge) c->state()->head_too_large = true;
    if (status != Connection::HeadStatus::Incomplete) return dispatch(std::move(c));
    c->idle = false;
    c->deadline = Clock::now() + limits_.head_timeout;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    incoming_.push_back(std::move(c));
  }
  wake();
}

void HttpFront::dispatch(std::unique_ptr<Connection> c) {
  const auto& state = *c->state();
  const bool refused_from_head = state.head_too_large || state.timed_out;
  if (!refused_from_head && c->is_health_check() && health_lane_->push(c)) return;
  if (!refused_from_head && is_body_method(c->method())) {
    if (request_lane_->push(c)) return;
    c->state()->overloaded = true;
    std::lock_guard<std::mutex> lock(mutex_);
    ++stats_.overloaded;
  }
  if (!fast_lane_->push(c)) return;  // stopped: closed
}

void HttpFront::poll_loop() {
  std::vector<std::unique_ptr<Connection>> waiting;
  std::vector<pollfd> fds;
  while (!stopping_) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (auto& c : incoming_) waiting.push_back(std::move(c));
      incoming_.clear();
    }
    fds.assign(1, pollfd{wake_fds_[0], POLLIN, 0});
    auto next_deadline = Clock::now() + std::chrono::seconds(60);
    for (const auto& c : waiting) {
      fds.push_back(pollfd{c->fd(), POLLIN, 0});
      next_deadline = std::min(next_deadline, c->deadline);
    }
    const auto wait_ms = std::chrono::duration_cast<std::chrono::milliseconds>(next_deadline - Clock::now()).count();
    const int ready = ::poll(fds.data(), fds.size(), static_cast<int>(std::clamp<long long>(wait_ms + 1, 0, 60000)));
    if (ready < 0 && errno != EINTR) spdlog::error("http: poll failed: {}", std::strerror(errno));
    if (fds[0].revents) {
      char sink[256];
      while (::read(wake_fds_[0], sink, sizeof sink) > 0) {
      }
    }
    const auto now = Clock::now();
    for (std::size_t i = waiting.size(); i-- > 0;) {
      auto& c = waiting[i];
      bool done = false;
      if (c->lingering) {
        if ((fds[i + 1].revents && !drain_lingering(*c)) || now >= c->deadline) {
          c.reset();
          std::swap(waiting[i], waiting.back());
          waiting.pop_back();
        }
        continue;
      }
      if (fds[i + 1].revents) {
        const auto status = c->read_head(limits_.max_head_bytes, limits_.max_header_count);
        if (c->idle && c->got_first_byte) {  // a keep-alive connection starts its next request
          c->idle = false;
          c->deadline = now + limits_.head_timeout;
        }
        if (status == Connection::HeadStatus::TooLarge) c->state()->head_too_large = true;
        if (status == Connection::HeadStatus::Closed) {
          c.reset();
          done = true;
        } else if (status != Connection::HeadStatus::Incomplete) {
          dispatch(std::move(c));
          done = true;
        }
      }
      if (!done && now >= c->deadline) {
        if (c->got_first_byte && !c->idle) {
          c->state()->timed_out = true;  // answered 408
          dispatch(std::move(c));
        } else {
          c.reset();  // an idle connection: closed silently
        }
        std::lock_guard<std::mutex> lock(mutex_);
        ++stats_.head_timeouts;
        done = true;
      }
      if (done) {
        std::swap(waiting[i], waiting.back());
        waiting.pop_back();
      }
    }
  }
  // Stopping: connections without a whole request are closed.
  waiting.clear();
  std::lock_guard<std::mutex> lock(mutex_);
  incoming_.clear();
}

std::unique_ptr<Connection> HttpFront::serve_one(std::unique_ptr<Connection> c, bool* linger_first) {
  const bool last = stopping_ || c->requests_served + 1 >= limits_.keep_alive_max_requests;
  bool closed = false, ok = false;
  RequestStream stream(*c, max_body_wire_bytes_, Clock::now() + limits_.request_timeout, limits_.write_timeout);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    active_[std::this_thread::get_id()] = c->state();
  }
  try {
    ok = process_request(stream, last, closed, nullptr);
  } catch (const std::exception& e) {
    spdlog::error("http: request failed outside its handler: {}", e.what());
  } catch (...) {
    spdlog::error("http: request failed outside its handler");
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    active_.erase(std::this_thread::get_id());
  }
  ++c->requests_served;
  // Answered, but refused before its body was read (or the reading failed): let the client read
  // the answer before the connection goes.
  if (ok && linger_first && c->state()->closing() && !stopping_ && !stream.broken_by_client()) {
    *linger_first = true;
    return c;
  }
  if (!ok || closed || last || stream.broken() || c->state()->closing() || stopping_) return nullptr;
  c->next_request();
  return c;
}

void HttpFront::serve_blocking(int fd) {
  live_.fetch_add(1);
  auto c = std::make_unique<Connection>(fd, &live_);
  c->deadline = Clock::now() + limits_.head_timeout;
  while (c) {
    auto status = c->buffered_head(limits_.max_head_bytes, limits_.max_header_count);
    while (status == Connection::HeadStatus::Incomplete) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(c->deadline - Clock::now()).count();
      pollfd p{c->fd(), POLLIN, 0};
      if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) == 0) {
        if (!c->got_first_byte || c->idle) return;
        c->state()->timed_out = true;
        break;
      }
      status = c->read_head(limits_.max_head_bytes, limits_.max_header_count);
      if (c->idle && c->got_first_byte) {
        c->idle = false;
        c->deadline = Clock::now() + limits_.head_timeout;
      }
    }
    if (status == Connection::HeadStatus::Closed) return;
    if (status == Connection::HeadStatus::TooLarge) c->state()->head_too_large = true;
    c = serve_one(std::move(c));
    if (c) {
      c->idle = true;
      c->deadline = Clock::now() + limits_.idle_timeout;
    }
  }
}

void HttpFront::drain() {
  if (stopping_.exchange(true)) {
    if (poller_.joinable()) poller_.join();
    return;
  }
  wake();
  if (poller_.joinable()) poller_.join();
  // Whole requests already queued are answered (with Connection: close), then the lanes end.
  request_lane_->stop();
  fast_lane_->stop();
  health_lane_->stop();
}

}  // namespace segmaker::serve
