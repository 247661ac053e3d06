#pragma once
// Errors a user can act on. Every library failure that reaches the CLI is one of these
// (or a std::exception); the CLI prints what() and exits non-zero.
#include <stdexcept>
#include <string>

namespace segmaker {

// Something about the user's input (flags, files, hyperparameters) is wrong.
class UserError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The input data (an image, a mask, an archive) cannot be used.
class DataError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace segmaker
