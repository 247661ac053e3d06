#include <gtest/gtest.h>

#include <set>

#include <opencv2/imgproc.hpp>

#include "data/augment.h"
#include "data/loader.h"
#include "data/prepare.h"
#include "io/error.h"
#include "io/paths.h"
#include "pet_fixture.h"
#include "support/test_util.h"

using namespace segmaker;
using namespace segmaker::data;
namespace fs = std::filesystem;

namespace {

const cv::Vec3b kColors[4] = {{250, 0, 0}, {0, 250, 0}, {0, 0, 250}, {250, 250, 0}};

// An image whose mask can be read off its pixels: four blocks of distinct colours, class = block.
Sample quadrant_sample(int w, int h) {
  Sample s;
  s.name = "quadrants";
  s.image.create(h, w, CV_8UC3);
  s.mask.create(h, w, CV_8UC1);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const int cls = (x < w / 3 ? 0 : 1) + (y < h / 2 ? 0 : 2);  // asymmetric in x: flips show
      s.image.at<cv::Vec3b>(y, x) = kColors[cls];
      s.mask.at<uchar>(y, x) = static_cast<uchar>(cls);
    }
  return s;
}

int class_of_pixel(const cv::Vec3b& p) {
  int best = -1, best_d = 1 << 30;
  for (int k = 0; k < 4; ++k) {
    int d = 0;
    for (int c = 0; c < 3; ++c) d += (p[c] - kColors[k][c]) * (p[c] - kColors[k][c]);
    if (d < best_d) best_d = d, best = k;
  }
  return best;
}

}  // namespace

TEST(Augment, MaskStaysAlignedWithImage) {
  const Sample in = quadrant_sample(97, 61);
  TrainAugment opt;
  opt.base_size = 120;
  opt.crop_size = 80;
  int flips_seen = 0;
  for (std::uint64_t seed = 0; seed < 40; ++seed) {
    auto rng = sample_rng(seed, 0, 0);
    Sample out = augment_train(in, opt, rng);
    ASSERT_EQ(out.image.size(), cv::Size(80, 80));
    ASSERT_EQ(out.mask.size(), cv::Size(80, 80));
    int agree = 0, labelled = 0;
    for (int y = 0; y < 80; ++y)
      for (int x = 0; x < 80; ++x) {
        const int m = out.mask.at<uchar>(y, x);
        const cv::Vec3b p = out.image.at<cv::Vec3b>(y, x);
        if (m == kIgnoreLabel) {
          EXPECT_EQ(p, cv::Vec3b(0, 0, 0)) << "padding: image 0, mask ignore";
          continue;
        }
        ASSERT_LT(m, 4) << "nearest-neighbour masks never blend ids";
        ++labelled;
        agree += class_of_pixel(p) == m;
      }
    ASSERT_GT(labelled, 0);
    EXPECT_GT(static_cast<double>(agree) / labelled, 0.97) << "seed " << seed;
    // Left block (class 0 or 2) is narrower than the right one; after a flip it is on the right.
    cv::Mat col0 = out.mask.col(0), col79 = out.mask.col(79);
    if (cv::countNonZero((col79 == 0) | (col79 == 2)) > 0 && cv::countNonZero((col0 == 1) | (col0 == 3)) > 0) ++flips_seen;
  }
  EXPECT_GT(flips_seen, 0) << "random horizontal flip never happened in 40 draws";
}

TEST(Augment, DeterministicForSeedAndValidationIsCentred) {
  const Sample in = quadrant_sample(50, 40);
  TrainAugment opt;
  opt.base_size = 60;
  opt.crop_size = 32;
  auto r1 = sample_rng(3, 1, 5), r2 = sample_rng(3, 1, 5), r3 = sample_rng(3, 2, 5);
  Sample a = augment_train(in, opt, r1), b = augment_train(in, opt, r2), c = augment_train(in, opt, r3);
  EXPECT_EQ(cv::countNonZero(a.mask != b.mask), 0);
  EXPECT_EQ(cv::norm(a.image, b.image, cv::NORM_L1), 0.0);
  EXPECT_TRUE(cv::countNonZero(a.mask != c.mask) > 0 || cv::norm(a.image, c.image, cv::NORM_L1) > 0);
  Sample v = transform_validation(in, 24);
  EXPECT_EQ(v.image.size(), cv::Size(24, 24));
  // short side 40 → 24: width 30, centre crop drops 3 columns each side.
  EXPECT_EQ(v.mask.at<uchar>(0, 0), 0);
  EXPECT_EQ(v.mask.at<uchar>(23, 23), 3);
}

TEST(Loader, ImageToTensorAppliesPreprocessing) {
  cv::Mat rgb(2, 3, CV_8UC3, cv::Scalar(255, 0, 51));
  auto t = image_to_tensor(rgb, Preprocessing::imagenet());
  ASSERT_EQ(t.sizes(), (std::vector<int64_t>{3, 2, 3}));
  EXPECT_NEAR(t[0][1][2].item<float>(), (1.0f - 0.485f) / 0.229f, 1e-5);
  EXPECT_NEAR(t[2][0][0].item<float>(), (0.2f - 0.406f) / 0.225f, 1e-5);
  auto c = image_to_tensor(rgb, Preprocessing::caffe());  // BGR, 0..255, minus mean
  EXPECT_NEAR(c[0][0][0].item<float>(), 51.0f - 103.939f, 1e-4);
  EXPECT_NEAR(c[2][0][0].item<float>(), 255.0f - 123.68f, 1e-4);
}

class LoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    test::write_pet_folder(tmp_ / "pets", {"Abyssinian", "Bengal"}, 6);
    PrepareOptions o;
    o.input = tmp_ / "pets";
    o.output = tmp_ / "data";
    o.progress = false;
    prepare_dataset(o);
    train_ = std::make_shared<SegmentationDataset>(tmp_ / "data", "train", 3);
  }
  std::vector<Batch> epoch(LoaderOptions o, std::uint64_t e) {
    DataLoader loader(train_, Preprocessing::imagenet(), o);
    loader.start_epoch(e);
    std::vector<Batch> out;
    Batch b;
    while (loader.next(b)) out.push_back(b);
    EXPECT_EQ(out.size(), loader.batches_per_epoch());
    return out;
  }
  test::TempDir tmp_;
  std::shared_ptr<SegmentationDataset> train_;
};

TEST_F(LoaderTest, BatchesAreShapedAndDeterministicAcrossThreadCounts) {
  ASSERT_EQ(train_->size(), 8u);
  LoaderOptions o;
  o.batch_size = 3;
  o.augment.base_size = 48;
  o.augment.crop_size = 32;
  o.seed = 11;
  o.workers = 1;
  auto one = epoch(o, 0);
  o.workers = 3;
  auto three = epoch(o, 0);
  ASSERT_EQ(one.size(), 2u);  // 8 examples, drop_last
  for (std::size_t i = 0; i < one.size(); ++i) {
    EXPECT_EQ(one[i].images.sizes(), (std::vector<int64_t>{3, 3, 32, 32}));
    EXPECT_EQ(one[i].masks.sizes(), (std::vector<int64_t>{3, 32, 32}));
    EXPECT_EQ(one[i].masks.scalar_type(), torch::kInt64);
    EXPECT_EQ(one[i].names, three[i].names);
    EXPECT_TRUE(torch::equal(one[i].images, three[i].images));
    EXPECT_TRUE(torch::equal(one[i].masks, three[i].masks));
  }
  auto next_epoch = epoch(o, 1);
  EXPECT_NE(one[0].names, next_epoch[0].names);
}

TEST_F(LoaderTest, ShardsAreDisjointAndCoverTheEpoch) {
  LoaderOptions o;
  o.mode = LoaderMode::Validation;
  o.crop_size = 16;
  o.batch_size = 1;
  o.world_size = 2;
  std::set<std::string> seen;
  for (int rank = 0; rank < 2; ++rank) {
    o.rank = rank;
    for (const auto& b : epoch(o, 4))
      for (const auto& n : b.names) EXPECT_TRUE(seen.insert(n).second) << n << " in two shards";
  }
  EXPECT_EQ(seen.size(), 8u);
}

TEST_F(LoaderTest, CorruptFileSurfacesAsDataErrorNamingIt) {
  const auto victim = train_->pair(2).image;
  io::write_file_atomic(victim, "garbage");
  LoaderOptions o;
  o.mode = LoaderMode::Full;
  o.batch_size = 1;
  o.shuffle = false;
  o.drop_last = false;
  DataLoader loader(train_, Preprocessing::imagenet(), o);
  loader.start_epoch(0);
  Batch b;
  try {
    while (loader.next(b)) {
    }
    FAIL() << "corrupt image went unnoticed";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find(victim.filename().string()), std::string::npos) << e.what();
  }
}

TEST(Dataset, OutOfRangeIdsAndMissingChannelsAreClearErrors) {
  test::TempDir tmp;
  EXPECT_THROW(SegmentationDataset(tmp.path(), "train", 3), UserError);
  fs::create_directories(tmp / "train");
  fs::create_directories(tmp / "train_annotation");
  io::write_file_atomic(tmp / "train" / "a.jpg", encode_jpeg(cv::Mat(4, 4, CV_8UC3, cv::Scalar(1, 2, 3))));
  EXPECT_THROW(SegmentationDataset(tmp.path(), "train", 3), UserError);  // annotation missing
  io::write_file_atomic(tmp / "train_annotation" / "a.png", encode_png(cv::Mat(4, 4, CV_8UC1, cv::Scalar(7))));
  SegmentationDataset ds(tmp.path(), "train", 3);
  try {
    ds.load(0);
    FAIL();
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("class id 7"), std::string::npos) << e.what();
  }
}
