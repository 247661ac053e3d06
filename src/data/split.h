#pragma once
// Stratified train/validation split: within every group (breed), round(n × fraction) examples go
// to validation, at least one and at most n − 1 when the group has two or more. Deterministic for
// a seed; independent of input order. Fraction 0 puts everything in train, 1 everything in
// validation (a pure test channel); stratification applies only in between.
#include <cstdint>
#include <string>
#include <vector>

namespace segmaker::data {

// `groups[i]` is the stratum of item i and `keys[i]` a unique, stable key (the file stem).
// Returns is_validation[i].
std::vector<bool> stratified_split(const std::vector<std::string>& groups, const std::vector<std::string>& keys,
                                   double validation_fraction, std::uint64_t seed);

}  // namespace segmaker::data
