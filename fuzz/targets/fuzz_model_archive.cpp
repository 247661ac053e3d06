// Fuzz target: model.tar.gz as `serve`, `predict` and `evaluate` read it (libarchive: gzip + tar,
// only the known members within their caps, then model.json's spec and the other JSON members,
// and calibration.json's ranges as int8 reads them).
// The bytes are given as a file (a memfd, no disk). Invariants: only DataError or UserError
// escapes; an artifact that reads is consistent (one class name per class, weights present).
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cmath>
#include <string>

#include "io/error.h"
#include "inference/artifact.h"
#include "inference/engine/calibration.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const int fd = ::memfd_create("model.tar.gz", 0);
  if (fd < 0) return 0;
  if (::write(fd, data, size) != static_cast<ssize_t>(size)) {
    ::close(fd);
    return 0;
  }
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  try {
    const auto a = segmaker::inference::read_artifact(path);
    if (static_cast<int>(a.classes.size()) != a.spec.num_classes || a.weights.empty()) __builtin_trap();
    if (!a.calibration.is_null()) {
      const auto c = segmaker::inference::calibration_from_json(a.calibration);
      for (const auto& [name, r] : c.ranges)
        if (!(r.min <= r.max) || !std::isfinite(r.min) || !std::isfinite(r.max)) __builtin_trap();
    }
  } catch (const segmaker::DataError&) {
  } catch (const segmaker::UserError&) {
  }
  ::close(fd);
  return 0;
}
