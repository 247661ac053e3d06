#include <nlohmann/json.hpp>

#include <fstream>
#include <tuple>
#include <vector>

#include "io/error.h"
#include "support/test_util.h"
#include "train/hyperparameters.h"

namespace segmaker::train {
namespace {

using json = nlohmann::json;

json minimal() { return {{"num_classes", "3"}, {"num_training_samples", "100"}}; }

std::string error_of(const json& j) {
  try {
    parse_hyperparameters(j);
  } catch (const UserError& e) {
    return e.what();
  }
  return "";
}

TEST(Hyperparameters, DefaultsAsSageMakerDocumentsThem) {
  Hyperparameters h = parse_hyperparameters(minimal());
  EXPECT_EQ(h.backbone, "resnet-50");
  EXPECT_EQ(h.algorithm, "fcn");
  EXPECT_TRUE(h.use_pretrained_model);
  EXPECT_EQ(h.num_classes, 3);
  EXPECT_EQ(h.num_training_samples, 100);
  EXPECT_EQ(h.base_size, 520);
  EXPECT_EQ(h.crop_size, 240);
  EXPECT_EQ(h.epochs, 10);
  EXPECT_DOUBLE_EQ(h.learning_rate, 0.001);
  EXPECT_EQ(h.lr_scheduler, "poly");
  EXPECT_EQ(h.mini_batch_size, 16);
  EXPECT_EQ(h.optimizer, "sgd");
  EXPECT_DOUBLE_EQ(h.momentum, 0.9);
  EXPECT_DOUBLE_EQ(h.weight_decay, 0.0001);
  EXPECT_FALSE(h.early_stopping);
  EXPECT_EQ(h.early_stopping_min_epochs, 5);
  EXPECT_EQ(h.early_stopping_patience, 4);
}

TEST(Hyperparameters, StringsAndJsonTypesBothWork) {
  json strings = minimal();
  strings.update({{"use_pretrained_model", "False"}, {"learning_rate", "0.02"}, {"epochs", "3"},
                  {"lr_scheduler", "step"}, {"lr_scheduler_step", "1, 2"}, {"early_stopping", "true"}, {"early_stopping_min_epochs", "2"}});
  json typed = {{"num_classes", 3}, {"num_training_samples", 100}, {"use_pretrained_model", false},
                {"learning_rate", 0.02}, {"epochs", 3}, {"lr_scheduler", "step"}, {"lr_scheduler_step", {1, 2}},
                {"early_stopping", true}, {"early_stopping_min_epochs", 2}};
  Hyperparameters a = parse_hyperparameters(strings), b = parse_hyperparameters(typed);
  EXPECT_EQ(to_json(a), to_json(b));
  EXPECT_FALSE(a.use_pretrained_model);
  EXPECT_DOUBLE_EQ(a.learning_rate, 0.02);
  EXPECT_EQ(a.lr_scheduler_step, (std::vector<int>{1, 2}));
  EXPECT_TRUE(a.early_stopping);
}

TEST(Hyperparameters, CropSizeIsRoundedUpToMultipleOf8) {
  json j = minimal();
  j["crop_size"] = "241";
  EXPECT_EQ(parse_hyperparameters(j).crop_size, 248);
  j["crop_size"] = 248;
  EXPECT_EQ(parse_hyperparameters(j).crop_size, 248);
}

TEST(Hyperparameters, UnknownNameIsAnErrorListingKnownOnes) {
  json j = minimal();
  j["learning_rat"] = "0.1";
  std::string e = error_of(j);
  EXPECT_NE(e.find("unknown hyperparameter 'learning_rat'"), std::string::npos) << e;
  EXPECT_NE(e.find("learning_rate"), std::string::npos) << e;
}

TEST(Hyperparameters, PrecisionIsFp32ByDefaultOrBf16OrAuto) {
  EXPECT_EQ(parse_hyperparameters(minimal()).precision, "fp32");
  json j = minimal();
  j["precision"] = "BF16";
  EXPECT_EQ(parse_hyperparameters(j).precision, "bf16");
  EXPECT_EQ(to_json(parse_hyperparameters(j))["precision"], "bf16");
  j["precision"] = "auto";  // resolved by the job (train/mixed_precision.h), recorded as asked
  EXPECT_EQ(to_json(parse_hyperparameters(j))["precision"], "auto");
  for (const char* bad : {"fp16", "int8", "automatic", ""}) {
    j["precision"] = bad;
    const std::string e = error_of(j);
    EXPECT_NE(e.find("hyperparameter precision"), std::string::npos) << e;
    EXPECT_NE(e.find("one of fp32, bf16, auto"), std::string::npos) << e;
  }
  j["precision"] = 16;
  EXPECT_NE(error_of(j).find("one of fp32, bf16, auto"), std::string::npos);
  EXPECT_NE(describe_hyperparameters().find("precision = \"fp32\": one of fp32, bf16, auto"), std::string::npos)
      << describe_hyperparameters();
}

TEST(Hyperparameters, SageMakerInternalKeysAreIgnored) {
  json j = minimal();
  j["_tuning_objective_metric"] = "validation:mIOU";
  j["sagemaker_program"] = "x";
  EXPECT_NO_THROW(parse_hyperparameters(j));
}

TEST(Hyperparameters, WrongTypesAndRangesNameTheHyperparameterAndAllowedValues) {
  struct Case {
    const char* name;
    json value;
    const char* expect;
  };
  const Case cases[] = {
      {"num_classes", "1", "2 <= x <= 254"},    {"num_classes", "255", "2 <= x <= 254"},
      {"num_classes", "three", "an integer"},   {"num_classes", 2.5, "an integer"},
      {"learning_rate", "0", "0 < x <= 1"},     {"learning_rate", "1.5", "0 < x <= 1"},
      {"optimizer", "adamw", "sgd, adam, adagrad, nag, rmsprop"},
      {"backbone", "resnet-152", "resnet-50, resnet-101"},
      {"algorithm", "unet", "fcn, psp, deeplab"},
      {"use_pretrained_model", "yes", "True or False"},
      {"crop_size", "16", "> 16"},              {"epochs", "0", ">= 1"},
      {"momentum", "0", "0 < x <= 1"},          {"weight_decay", "1", "0 <= x < 1"},
      {"output_stride", "4", "8, 16, 32"},      {"lr_scheduler_step", "20,10", "increasing"},
      {"lr_scheduler_step", "a,b", "integer"},  {"mini_batch_size", json::array(), "an integer"},
      {"gamma1", "1.1", "0 <= x <= 1"},
  };
  for (const auto& c : cases) {
    json j = minimal();
    j[c.name] = c.value;
    std::string e = error_of(j);
    EXPECT_NE(e.find(c.name), std::string::npos) << c.name << ": " << e;
    EXPECT_NE(e.find(c.expect), std::string::npos) << c.name << " = " << c.value.dump() << ": " << e;
  }
}

TEST(Hyperparameters, RequiredFieldsAndCrossFieldRules) {
  EXPECT_NE(error_of({{"num_classes", "3"}}).find("num_training_samples is required"), std::string::npos);
  EXPECT_NO_THROW(parse_hyperparameters(json::object(), /*require_data_fields=*/false));
  json j = minimal();
  j["lr_scheduler"] = "step";
  EXPECT_NE(error_of(j).find("lr_scheduler_step is required"), std::string::npos);
  j = minimal();
  j["warmup_epochs"] = 10;
  EXPECT_NE(error_of(j).find("warmup_epochs"), std::string::npos);
  EXPECT_THROW(parse_hyperparameters(json::array()), UserError);
}

TEST(Hyperparameters, ResolvedJsonRoundTrips) {
  json j = minimal();
  j["optimizer"] = "RMSProp";  // case-insensitive choices
  j["aux_loss"] = "True";
  Hyperparameters h = parse_hyperparameters(j);
  EXPECT_EQ(h.optimizer, "rmsprop");
  json resolved = to_json(h);
  EXPECT_EQ(resolved["optimizer"], "rmsprop");
  EXPECT_EQ(resolved["aux_loss"], true);
  EXPECT_EQ(to_json(parse_hyperparameters(resolved)), resolved);
  EXPECT_NE(describe_hyperparameters().find("early_stopping_tolerance = 0.0"), std::string::npos);
}

}  // namespace
}  // namespace segmaker::train

namespace segmaker::train {
namespace {

// Issue 14: crop_size = base_size = 2e9 was accepted, then OpenCV tried to allocate 1.2e19 bytes.
TEST(HyperparameterLimits, SizesCountsAndEpochsHaveSaneUpperBounds) {
  const auto error_for = [](const char* name, const nlohmann::json& value) {
    nlohmann::json j = {{"num_classes", "3"}, {"num_training_samples", "10"}};
    j[name] = value;
    return test::message_of<UserError>([&] { parse_hyperparameters(j); });
  };
  for (const auto& [name, value, limit] : std::vector<std::tuple<const char*, nlohmann::json, const char*>>{
           {"crop_size", "2000000000", "at most 2048"},
           {"base_size", 2e9, "at most 4096"},
           {"epochs", "100000", "at most 10000"},
           {"mini_batch_size", 5000, "at most 1024"},
           {"validation_mini_batch_size", "5000", "at most 1024"},
           {"num_training_samples", "1000000000", "at most 100000000"},
           {"lr_scheduler_step", "10,200000", "at most 10000"},
           {"warmup_epochs", 20000, "at most 10000"},
       }) {
    const std::string e = error_for(name, value);
    EXPECT_NE(e.find(name), std::string::npos) << e;
    EXPECT_NE(e.find(limit), std::string::npos) << name << ": " << e;
  }
  nlohmann::json ok = {{"num_classes", "3"}, {"num_training_samples", "10"}, {"crop_size", "2048"}, {"base_size", "4096"},
                       {"epochs", "10000"}, {"mini_batch_size", "1024"}};
  EXPECT_EQ(parse_hyperparameters(ok).crop_size, 2048);
  // Found by fuzzing: a number JSON cannot hold (4e2000000000) escaped as nlohmann's out_of_range.
  test::TempDir tmp;
  std::ofstream(tmp / "hp.json") << R"({"num_classes": "3", "num_training_samples": "10", "epochs": 4e2000000000})";
  EXPECT_THROW(load_hyperparameters((tmp / "hp.json").string()), UserError);
  // --help shows the bound next to the range.
  EXPECT_NE(describe_hyperparameters().find("crop_size = 240: an integer > 16 (at most 2048)"), std::string::npos)
      << describe_hyperparameters();
}

}  // namespace
}  // namespace segmaker::train
