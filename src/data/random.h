#pragma once
// Portable random draws: the same numbers on every standard library (std::*_distribution
// is implementation-defined), so a seed reproduces a split or an augmentation anywhere.
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace segmaker::data {

// Uniform integer in [lo, hi] (inclusive).
inline std::int64_t uniform_int(std::mt19937_64& rng, std::int64_t lo, std::int64_t hi) {
  if (hi <= lo) return lo;
  const auto span = static_cast<std::uint64_t>(hi - lo) + 1;
  return lo + static_cast<std::int64_t>(rng() % span);
}

// Uniform real in [lo, hi).
inline double uniform_real(std::mt19937_64& rng, double lo, double hi) {
  const double u = static_cast<double>(rng() >> 11) * (1.0 / 9007199254740992.0);
  return lo + (hi - lo) * u;
}

// Fisher-Yates shuffle with uniform_int.
template <typename T>
void shuffle(std::vector<T>& v, std::mt19937_64& rng) {
  for (std::size_t i = v.size(); i > 1; --i) {
    const auto j = static_cast<std::size_t>(uniform_int(rng, 0, static_cast<std::int64_t>(i) - 1));
    std::swap(v[i - 1], v[j]);
  }
}

}  // namespace segmaker::data
