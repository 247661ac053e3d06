// Every input the fuzzers found a problem with (tests/fuzz_regressions/<target>/, FUZZING.md) is
// replayed through the calls of its target: it must be refused with the library's own error type.
#include <gtest/gtest.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "data/classes.h"
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
// which was appended to a std::string: a crash of prepare, predict and serve, old and new decoder);
// a GIF mask with "DICM" at offset 128 that cv::imdecode handed to GDCM, which aborted the process.
TEST(FuzzRegressions, ImageDecoders) {
  const auto files = found_by("fuzz_image_decode");
  ASSERT_FALSE(files.empty());
  for (const auto& f : files) {
    const std::string bytes = io::read_file(f);
    if (f.filename().string().rfind("gif-error-", 0) == 0 || f.filename() == "gif-without-an-image.gif")
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

// fuzz_classes_json (UBSan): "num_classes": 3.9e38 was converted to an integer type (undefined
// behaviour); integer fields now take JSON integers within their range only, and say so.
TEST(FuzzRegressions, ClassesFiles) {
  const auto files = found_by("fuzz_classes_json");
  ASSERT_FALSE(files.empty());
  for (const auto& f : files) {
    try {
      classes_from_json(nlohmann::json::parse(io::read_file(f)));
      ADD_FAILURE() << f << " was accepted";
    } catch (const UserError& e) {
      EXPECT_NE(std::string(e.what()).find("must be an integer from"), std::string::npos) << e.what();
    }
  }
  const auto names = nlohmann::json::parse(R"({"0": "background", "1": "pet"})");
  for (const char* bad : {R"({"num_classes": 2.0})", R"({"num_classes": -2})", R"({"ignore_label": 1e20})",
                          R"({"ignore_label": 256})", R"({"ignore_label": "255"})"}) {
    auto j = nlohmann::json::parse(bad);
    j["classes"] = names;
    EXPECT_THROW(classes_from_json(j), UserError) << bad;
  }
  auto good = nlohmann::json::parse(R"({"num_classes": 2, "ignore_label": 0})");
  good["classes"] = names;
  EXPECT_EQ(classes_from_json(good).ignore_label, 0);
}

}  // namespace
}  // namespace segmaker::data
