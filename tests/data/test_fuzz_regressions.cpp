// Every input the fuzzers found a problem with (tests/fuzz_regressions/<target>/, FUZZING.md) is
// replayed through the calls of its target: it must be refused with the library's own error type.
#include <gtest/gtest.h>

#include <filesystem>

#include "data/image_header.h"
#include "data/image_io.h"
#include "data/label_map.h"
#include "io/error.h"
#include "io/paths.h"
#include "support/test_util.h"

namespace segmaker::data {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> found_by(const std::string& target) {
  const fs::path dir = fs::path(SEGMAKER_SOURCE_DIR) / "tests" / "fuzz_regressions" / target;
  std::vector<fs::path> files;
  for (const auto& f : fs::directory_iterator(dir)) files.push_back(f.path());
  return files;
}

// fuzz_image_decode: GIFs whose giflib error code has no message (GifErrorString() returns NULL,
// which was appended to a std::string: a crash of prepare, predict and serve, old and new decoder).
TEST(FuzzRegressions, ImageDecoders) {
  const auto files = found_by("fuzz_image_decode");
  ASSERT_FALSE(files.empty());
  for (const auto& f : files) {
    const std::string bytes = io::read_file(f);
    EXPECT_THROW(read_image_header(bytes), DataError) << f;
    EXPECT_THROW(decode_image_rgb(bytes, ImageLimits{}), DataError) << f;
    EXPECT_THROW(decode_mask(bytes, ImageLimits{}), DataError) << f;
  }
}

// fuzz_label_map: a number JSON cannot hold made nlohmann throw out_of_range, not a UserError.
TEST(FuzzRegressions, LabelMaps) {
  const auto files = found_by("fuzz_label_map");
  ASSERT_FALSE(files.empty());
  for (const auto& f : files) EXPECT_THROW(LabelMap::from_json_text(io::read_file(f)), UserError) << f;
}

}  // namespace
}  // namespace segmaker::data
