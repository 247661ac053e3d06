// SageMaker's AugmentedManifestFile as Ground Truth writes it: the two attributes read back per line,
// the colour map from the annotation's metadata, lines without an attribute skipped with the reason,
// and a malformed manifest a UserError naming the line.
#include <gtest/gtest.h>

#include "io/error.h"
#include "sagemaker/augmented_manifest.h"

namespace segmaker::sagemaker {
namespace {

const std::vector<std::string> kNames{"source-ref", "pets-ref"};

std::string line(const std::string& image, const std::string& mask, const std::string& colors = "") {
  std::string s = R"({"source-ref": ")" + image + R"(", "pets-ref": ")" + mask + "\"";
  if (!colors.empty())
    s += R"(, "pets-ref-metadata": {"type": "groundtruth/semantic-segmentation", "internal-color-map": )" + colors + "}";
  return s + "}";
}

const std::string kColors = R"({"0": {"class-name": "BACKGROUND", "hex-color": "#FFFFFF"}, "1": {"class-name": "cat", "hex-color": "#2ca02c"}})";

TEST(AugmentedManifest, ReadsGroundTruthLinesAndTheColourMap) {
  const std::string text = line("s3://b/img/1.jpg", "s3://b/masks/1.png", kColors) + "\n\n" +
                           R"({"source-ref": "s3://b/img/2.jpg"})" + "\r\n" + line("s3://b/img/3.jpg", "s3://b/masks/3.png") + "\n";
  const auto m = parse_augmented_manifest(text, kNames);
  EXPECT_EQ(m.lines, 3u);
  ASSERT_EQ(m.records.size(), 2u);
  EXPECT_EQ(m.records[0].line, 1u);
  EXPECT_EQ(m.records[0].image_uri, "s3://b/img/1.jpg");
  EXPECT_EQ(m.records[0].annotation_uri, "s3://b/masks/1.png");
  EXPECT_EQ(m.records[1].line, 4u) << "numbers count every line of the file, empty ones too";
  ASSERT_EQ(m.skipped.size(), 1u);
  EXPECT_EQ(m.skipped[0].line, 3u);
  EXPECT_EQ(m.skipped[0].reason, "has no attribute 'pets-ref'");
  EXPECT_EQ(m.colors, (std::map<int, std::string>{{0, "#ffffff"}, {1, "#2ca02c"}}));
}

TEST(AugmentedManifest, LinesThatCannotBeUsedAreSkippedWithTheirReason) {
  const std::string other = R"({"0": {"hex-color": "#000000"}, "1": {"hex-color": "#2ca02c"}})";
  const std::string text = line("s3://b/1.jpg", "s3://b/1.png", kColors) + "\n" + line("https://x/2.jpg", "s3://b/2.png") + "\n" +
                           line("s3://b/3.jpg", "s3://b/3.png", other) + "\n" + R"({"source-ref": 7, "pets-ref": "s3://b/4.png"})";
  const auto m = parse_augmented_manifest(text, kNames);
  ASSERT_EQ(m.records.size(), 1u);
  ASSERT_EQ(m.skipped.size(), 3u);
  EXPECT_NE(m.skipped[0].reason.find("'source-ref' is not an s3:// URI"), std::string::npos);
  EXPECT_EQ(m.skipped[1].reason, "its internal-color-map differs from line 1's");
  EXPECT_NE(m.skipped[2].reason.find("'source-ref' is not an s3:// URI: 7"), std::string::npos);
}

TEST(AugmentedManifest, MalformedManifestsSayWhatAndWhere) {
  const std::string good = line("s3://b/1.jpg", "s3://b/1.png");
  const std::vector<std::tuple<std::string, std::vector<std::string>, std::string>> cases{
      {good + "\n{\"source-ref\": ", kNames, "line 2 is not a JSON object"},
      {good + "\n[1, 2]", kNames, "line 2 is not a JSON object"},
      {good, {"source-ref"}, "AttributeNames must name two"},
      {good, {"source-ref", "class"}, "AttributeNames must name two"},
      {good, {"source-ref", "source-ref"}, "AttributeNames must name two"},
      {good, {"source-ref", "labels-ref"}, "no line of the manifest has the attribute 'labels-ref'"},
      {"", kNames, "the augmented manifest is empty"},
      {R"({"source-ref": "s3://b/1.jpg", "pets-ref": 3})", kNames, "no line of the augmented manifest is usable"},
      {line("s3://b/1.jpg", "s3://b/1.png", R"({"1": {"hex-color": "green"}})"), kNames, "line 1: internal-color-map: class 1 needs"},
      {line("s3://b/1.jpg", "s3://b/1.png", R"({"x": {"hex-color": "#000000"}})"), kNames, "class id \"x\" must be"},
      {line("s3://b/1.jpg", "s3://b/1.png", R"({"300": {"hex-color": "#000000"}})"), kNames, "class id \"300\" must be"},
      {line("s3://b/1.jpg", "s3://b/1.png", R"({"0": {"hex-color": "#000000"}, "1": {"hex-color": "#000000"}})"), kNames,
       "classes 0 and 1 share the colour #000000"},
      {line("s3://b/1.jpg", "s3://b/1.png", R"([])"), kNames, "internal-color-map must be an object"},
  };
  for (const auto& [text, names, expected] : cases) {
    try {
      parse_augmented_manifest(text, names);
      ADD_FAILURE() << "accepted: " << text;
    } catch (const UserError& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace segmaker::sagemaker
