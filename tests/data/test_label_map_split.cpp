#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "data/label_map.h"
#include "data/label_modes.h"
#include "data/split.h"
#include "io/error.h"

using namespace segmaker;
using namespace segmaker::data;

TEST(LabelMap, ScaleDividesAndKeepsIgnore) {
  auto m = LabelMap::from_json_text(R"({"scale": "3"})");
  EXPECT_EQ(m.apply(0), 0);
  EXPECT_EQ(m.apply(3), 1);
  EXPECT_EQ(m.apply(8), 2);
  EXPECT_EQ(m.apply(255), 255);
  EXPECT_TRUE(LabelMap::from_json_text(R"({"scale": 1})").is_identity());
}

TEST(LabelMap, MapInvertsClassToPixel) {
  auto m = LabelMap::from_json_text(R"({"map": {"0": 5, "1": 0, "2": "2"}})");
  EXPECT_EQ(m.apply(5), 0);
  EXPECT_EQ(m.apply(0), 1);
  EXPECT_EQ(m.apply(2), 2);
  EXPECT_EQ(m.apply(7), 255);  // unmapped values are ignored
  cv::Mat mask(1, 3, CV_8UC1);
  mask.at<uchar>(0, 0) = 5, mask.at<uchar>(0, 1) = 0, mask.at<uchar>(0, 2) = 9;
  m.apply(mask);
  EXPECT_EQ(mask.at<uchar>(0, 0), 0);
  EXPECT_EQ(mask.at<uchar>(0, 1), 1);
  EXPECT_EQ(mask.at<uchar>(0, 2), 255);
}

TEST(LabelMap, BadJsonAndValuesAreClearErrors) {
  EXPECT_THROW(LabelMap::from_json_text("{not json"), UserError);
  EXPECT_THROW(LabelMap::from_json_text(R"({"scale": "0"})"), UserError);
  EXPECT_THROW(LabelMap::from_json_text(R"({"scale": "abc"})"), UserError);
  EXPECT_THROW(LabelMap::from_json_text(R"({"map": {"0": 300}})"), UserError);
  EXPECT_THROW(LabelMap::from_json_text(R"({"other": 1})"), UserError);
  EXPECT_THROW(LabelMap::from_json_text("[]"), UserError);
}

TEST(LabelMap, ColorsMapEachColourToItsClass) {
  const LabelMap m = LabelMap::from_json_text(R"({"colors": {"0": "#ffffff", "1": "#2CA02C"}})");
  EXPECT_TRUE(m.has_colors());
  cv::Mat rgb(2, 3, CV_8UC3, cv::Scalar(255, 255, 255));
  rgb.at<cv::Vec3b>(1, 2) = cv::Vec3b(0x2c, 0xa0, 0x2c);  // RGB
  const cv::Mat ids = m.classes_of_colors(rgb, "m.png");
  EXPECT_EQ(ids.at<std::uint8_t>(0, 0), 0);
  EXPECT_EQ(ids.at<std::uint8_t>(1, 2), 1);
  rgb.at<cv::Vec3b>(0, 1) = cv::Vec3b(1, 2, 3);
  try {
    m.classes_of_colors(rgb, "m.png");
    ADD_FAILURE() << "an unknown colour was accepted";
  } catch (const DataError& e) {
    EXPECT_EQ(std::string(e.what()), "m.png: pixel (1, 0) has the colour #010203, which no class of the colour map has");
  }
  for (const char* bad : {R"({"colors": {}})", R"({"colors": {"0": "white"}})", R"({"colors": {"0": "#fff"}})",
                          R"({"colors": {"0": "#000000", "1": "#000000"}})", R"({"colors": {"0": "#000000"}, "scale": "1"})"})
    EXPECT_THROW(LabelMap::from_json_text(bad), UserError) << bad;
  EXPECT_FALSE(LabelMap::from_json_text(R"({"scale": "2"})").has_colors());
}

TEST(LabelModes, TrimapValuesMapPerMode) {
  cv::Mat t(1, 3, CV_8UC1);
  t.at<uchar>(0, 0) = 1, t.at<uchar>(0, 1) = 2, t.at<uchar>(0, 2) = 3;  // pet, background, boundary
  auto px = [&](LabelMode m, int cls, const char* sp, int i) {
    return static_cast<int>(trimap_to_mask(t, m, cls, sp).at<uchar>(0, i));
  };
  EXPECT_EQ(px(LabelMode::Trimap, 6, "cat", 0), 1);
  EXPECT_EQ(px(LabelMode::Trimap, 6, "cat", 1), 0);
  EXPECT_EQ(px(LabelMode::Trimap, 6, "cat", 2), 2);
  EXPECT_EQ(px(LabelMode::Binary, 6, "cat", 0), 1);
  EXPECT_EQ(px(LabelMode::Binary, 6, "cat", 2), 255);
  EXPECT_EQ(px(LabelMode::Species, 6, "cat", 0), 1);
  EXPECT_EQ(px(LabelMode::Species, 2, "dog", 0), 2);
  EXPECT_EQ(px(LabelMode::Species, 2, "dog", 1), 0);
  EXPECT_EQ(px(LabelMode::Breed, 37, "dog", 0), 37);
  EXPECT_EQ(px(LabelMode::Breed, 37, "dog", 2), 255);
  EXPECT_EQ(class_names(LabelMode::Breed).size(), 38u);
  EXPECT_EQ(class_names(LabelMode::Breed)[6], "Bengal");
  EXPECT_THROW(parse_label_mode("colour"), UserError);
}

namespace {
struct Items {
  std::vector<std::string> groups, keys;
};
Items make_items(const std::map<std::string, int>& counts) {
  Items it;
  for (const auto& [g, n] : counts)
    for (int i = 0; i < n; ++i) {
      it.groups.push_back(g);
      it.keys.push_back(g + "_" + std::to_string(i));
    }
  return it;
}
}  // namespace

TEST(Split, StratifiedWithinRoundingPerGroup) {
  const std::map<std::string, int> counts = {{"a", 158}, {"b", 160}, {"c", 2}, {"d", 1}, {"e", 6}, {"f", 3}};
  Items it = make_items(counts);
  auto val = stratified_split(it.groups, it.keys, 0.25, 42);
  std::map<std::string, int> in_val, in_train;
  for (std::size_t i = 0; i < val.size(); ++i) (val[i] ? in_val : in_train)[it.groups[i]]++;
  for (const auto& [g, n] : counts) {
    if (n >= 2) {
      EXPECT_GE(in_val[g], 1) << g;
      EXPECT_GE(in_train[g], 1) << g;
      EXPECT_LE(std::abs(in_val[g] - 0.25 * n), 1.0) << g << ": " << in_val[g] << " of " << n;
    } else {
      EXPECT_EQ(in_val[g], 0) << "a single example stays in training";
    }
  }
  EXPECT_EQ(in_val["a"], 40);  // round(158 × 0.25) = 39.5 → 40
  EXPECT_EQ(in_val["b"], 40);
}

TEST(Split, DeterministicForSeedAndIndependentOfOrder) {
  Items it = make_items({{"a", 50}, {"b", 30}});
  auto v1 = stratified_split(it.groups, it.keys, 0.25, 7);
  auto v2 = stratified_split(it.groups, it.keys, 0.25, 7);
  EXPECT_EQ(v1, v2);
  auto v3 = stratified_split(it.groups, it.keys, 0.25, 8);
  EXPECT_NE(v1, v3);
  // Reversed input order gives the same assignment per key.
  Items rev{{it.groups.rbegin(), it.groups.rend()}, {it.keys.rbegin(), it.keys.rend()}};
  auto v4 = stratified_split(rev.groups, rev.keys, 0.25, 7);
  for (std::size_t i = 0; i < v1.size(); ++i) EXPECT_EQ(v1[i], v4[v1.size() - 1 - i]);
  // 0 and 1 are allowed now (issue 13, defect 3: see PureChannels below); outside [0, 1] still throws.
  EXPECT_THROW(stratified_split(it.groups, it.keys, 1.5, 7), UserError);
  EXPECT_THROW(stratified_split(it.groups, it.keys, -0.1, 7), UserError);
}

// A pure test channel (1.0) or a pure training channel (0.0): no stratification, every item on one side.
TEST(Split, FractionOneOrZeroPutsEverythingInOneChannel) {
  Items it = make_items({{"a", 5}, {"b", 1}, {"c", 2}});
  EXPECT_EQ(stratified_split(it.groups, it.keys, 1.0, 7), std::vector<bool>(8, true));
  EXPECT_EQ(stratified_split(it.groups, it.keys, 0.0, 7), std::vector<bool>(8, false));
}
