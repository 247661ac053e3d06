#include <gtest/gtest.h>

#include <string>

#include "io/sha256.h"

namespace segmaker::io {
namespace {

std::string sha256_of(const std::string& text) {
  Sha256 sha;
  sha.update(text.data(), text.size());
  return sha.hex();
}

TEST(Sha256, MatchesTheStandardTestVectors) {
  EXPECT_EQ(sha256_of(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_of("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, PiecesGiveTheDigestOfTheWhole) {
  Sha256 sha;
  sha.update("a", 1);
  sha.update(nullptr, 0);
  sha.update("bc", 2);
  EXPECT_EQ(sha.hex(), sha256_of("abc"));
}

}  // namespace
}  // namespace segmaker::io
