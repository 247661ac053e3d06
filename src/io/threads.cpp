#include "io/threads.h"

#include <sched.h>
#include <thread>

namespace segmaker::io {

int available_cores() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  unsigned hc = std::thread::hardware_concurrency();
  return hc > 0 ? static_cast<int>(hc) : 1;
}

int resolve_threads(int requested) { return requested > 0 ? requested : available_cores(); }

}  // namespace segmaker::io
