#include <nlohmann/json.hpp>

#include "io/error.h"
#include "io/paths.h"
#include "models/registry.h"
#include "models/weights.h"
#include "support/test_util.h"
#include "synthetic.h"
#include "inference/artifact.h"
#include "train/checkpoint.h"
#include "inference/evaluate.h"
#include "train/trainer.h"

namespace segmaker::train {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

using test::tiny_job;

std::vector<double> losses(const json& history) {
  std::vector<double> v;
  for (const auto& r : history) v.push_back(r.at("train_loss").get<double>());
  return v;
}

class Trainer : public ::testing::Test {
 protected:
  void SetUp() override { test::write_synthetic_data(dir_.path() / "data"); }
  fs::path data() const { return dir_.path() / "data"; }
  test::TempDir dir_;
};

TEST_F(Trainer, WritesArtifactMetricsAndCurvesAndEvaluateAgrees) {
  TrainResult r = train(tiny_job(data(), dir_ / "out"));
  ASSERT_EQ(r.epochs_completed, 2);
  EXPECT_FALSE(r.stopped_early);
  ASSERT_EQ(r.history.size(), 2u);
  for (const auto& rec : r.history) {
    EXPECT_TRUE(std::isfinite(rec["train_loss"].get<double>()));
    EXPECT_GE(rec["mIOU"].get<double>(), 0.0);
    EXPECT_LE(rec["mIOU"].get<double>(), 1.0);
    EXPECT_EQ(rec["classes"], json({"background", "square"}));
  }
  EXPECT_TRUE(fs::exists(dir_ / "out" / "curves.png"));
  EXPECT_TRUE(fs::exists(dir_ / "out" / "checkpoints" / "checkpoint.pt"));
  std::string jsonl = io::read_file(dir_ / "out" / "metrics.jsonl");
  EXPECT_EQ(std::count(jsonl.begin(), jsonl.end(), '\n'), 2);

  inference::ModelArtifact a = inference::read_artifact(r.model);
  EXPECT_EQ(a.spec.backbone, "resnet-18");
  EXPECT_FALSE(a.spec.aux);
  EXPECT_EQ(a.classes, (std::vector<std::string>{"background", "square"}));
  EXPECT_EQ(a.hyperparameters["crop_size"], 32);
  EXPECT_DOUBLE_EQ(a.metrics["mIOU"].get<double>(), r.best_metrics["mIOU"].get<double>());
  models::SegmentationModel m = models::build_model(a.spec);
  models::load_weights_from_bytes(*m, a.weights);  // every name and shape matches

  inference::EvaluateOptions e;
  e.center_crop = true;  // training's validation transform: the figures training reported
  e.model = r.model;
  e.data_dir = data();
  e.progress = false;
  e.threads = 2;
  e.output = dir_ / "eval.json";
  json metrics = inference::evaluate_model(e);
  EXPECT_NEAR(metrics["mIOU"].get<double>(), a.metrics["mIOU"].get<double>(), 1e-9);
  EXPECT_EQ(metrics["confusion_matrix"], a.metrics["confusion_matrix"]);
  EXPECT_TRUE(fs::exists(dir_ / "eval.json"));
}

TEST_F(Trainer, SameSeedSameLossCurveOtherSeedDifferent) {
  json hp = test::tiny_hyperparameters();
  hp["aux_loss"] = "True";
  TrainResult a = train(tiny_job(data(), dir_ / "a", hp));
  TrainResult b = train(tiny_job(data(), dir_ / "b", hp));
  EXPECT_EQ(losses(a.history), losses(b.history));
  EXPECT_EQ(a.best_metrics["confusion_matrix"], b.best_metrics["confusion_matrix"]);
  hp["seed"] = "8";
  TrainResult c = train(tiny_job(data(), dir_ / "c", hp));
  EXPECT_NE(losses(a.history), losses(c.history));
}

TEST_F(Trainer, EverySchedulerAndOptimizerRuns) {
  struct Case {
    const char* optimizer;
    const char* scheduler;
  };
  const Case cases[] = {{"sgd", "poly"}, {"nag", "cosine"}, {"adam", "step"}, {"adagrad", "poly"}, {"rmsprop", "cosine"}};
  for (const auto& c : cases) {
    json hp = test::tiny_hyperparameters();
    hp["optimizer"] = c.optimizer;
    hp["lr_scheduler"] = c.scheduler;
    hp["lr_scheduler_step"] = "1";
    hp["lr_scheduler_factor"] = "0.5";
    hp["freeze_backbone"] = "True";
    TrainResult r = train(tiny_job(data(), dir_ / (std::string(c.optimizer) + c.scheduler), hp));
    ASSERT_EQ(r.history.size(), 2u) << c.optimizer;
    const double lr1 = r.history[0]["learning_rate"], lr2 = r.history[1]["learning_rate"];
    if (std::string(c.scheduler) == "step") {
      EXPECT_DOUBLE_EQ(lr1, 0.01);
      EXPECT_DOUBLE_EQ(lr2, 0.005);
    } else {
      EXPECT_LT(lr2, lr1) << c.scheduler;
    }
    for (const auto& rec : r.history) EXPECT_TRUE(std::isfinite(rec["train_loss"].get<double>())) << c.optimizer;
  }
}

TEST_F(Trainer, FrozenBackboneKeepsBackboneWeights) {
  json hp = test::tiny_hyperparameters();
  hp["freeze_backbone"] = "True";
  hp["epochs"] = "1";
  TrainOptions o = tiny_job(data(), dir_ / "f", hp);
  TrainResult r = train(o);
  models::WeightFile trained = models::weights_from_bytes(inference::read_artifact(r.model).weights);
  torch::manual_seed(7);  // the job's seed: the same initial weights
  models::ModelSpec spec = inference::read_artifact(r.model).spec;
  models::SegmentationModel fresh = models::build_model(spec);
  models::WeightFile initial = models::weights_of(*fresh);
  int backbone = 0, head_changed = 0;
  for (const auto& [name, tensor] : trained.tensors) {
    at::Tensor before = initial.find(name);
    ASSERT_TRUE(before.defined()) << name;
    if (name.rfind("backbone.", 0) == 0) {
      ++backbone;
      EXPECT_TRUE(torch::equal(before, tensor)) << name;
    } else if (!torch::equal(before, tensor)) {
      ++head_changed;
    }
  }
  EXPECT_GT(backbone, 10);
  EXPECT_GT(head_changed, 0);
}

TEST_F(Trainer, EarlyStoppingStopsBeforeTheLastEpoch) {
  json hp = test::tiny_hyperparameters();
  hp.update({{"epochs", "6"}, {"learning_rate", "1e-9"}, {"early_stopping", "True"}, {"early_stopping_min_epochs", "2"},
             {"early_stopping_patience", "1"}, {"early_stopping_tolerance", "0.9"}, {"freeze_backbone", "True"}});
  TrainResult r = train(tiny_job(data(), dir_ / "es", hp));
  EXPECT_TRUE(r.stopped_early);
  EXPECT_EQ(r.epochs_completed, 2);
  EXPECT_TRUE(fs::exists(r.model));
}

TEST_F(Trainer, InterruptedJobsResumeToTheSameResult) {
  json hp = test::tiny_hyperparameters();
  hp["epochs"] = "3";
  TrainResult whole = train(tiny_job(data(), dir_ / "whole", hp));

  // The stop flag is polled after every iteration and after every epoch's checkpoint (2 iterations
  // per epoch). Stop in the middle of epoch 1, then in the middle of epoch 2.
  int polls = 0;
  TrainOptions o = tiny_job(data(), dir_ / "parts", hp);
  o.stop_requested = [&] { return ++polls == 1; };  // after iteration 1
  TrainResult first = train(o);
  EXPECT_TRUE(first.interrupted);
  EXPECT_EQ(first.epochs_completed, 0);
  EXPECT_TRUE(first.model.empty());
  EXPECT_THROW(train(tiny_job(data(), dir_ / "parts", hp)), UserError);  // a checkpoint needs --resume
  polls = 0;
  o.resume = true;
  o.stop_requested = [&] { return ++polls == 3; };  // iteration 2, end of epoch 1, iteration 3
  TrainResult second = train(o);
  EXPECT_TRUE(second.interrupted);
  EXPECT_EQ(second.epochs_completed, 1);
  io::write_file_atomic(dir_ / "parts" / "checkpoints" / "checkpoint.pt.tmp.99999", "half-written");
  o.stop_requested = nullptr;
  TrainResult third = train(o);
  EXPECT_FALSE(third.interrupted);
  EXPECT_EQ(third.epochs_completed, 3);
  EXPECT_EQ(losses(third.history), losses(whole.history));
  EXPECT_EQ(third.best_metrics["confusion_matrix"], whole.best_metrics["confusion_matrix"]);
  EXPECT_FALSE(fs::exists(dir_ / "parts" / "checkpoints" / "checkpoint.pt.tmp.99999"));
}

// A data set made elsewhere: classes.json as a plain array of names (it made `train` die with
// "cannot use value() with array", issue 13 defect 2), or no classes.json at all (SageMaker needs none).
TEST_F(Trainer, PlainArrayClassesFileOrNoneAtAll) {
  json hp = test::tiny_hyperparameters();
  hp["epochs"] = "1";
  io::write_file_atomic(data() / "classes.json", R"(["background", "square"])");
  TrainResult listed = train(tiny_job(data(), dir_ / "array", hp));
  EXPECT_EQ(inference::read_artifact(listed.model).classes, (std::vector<std::string>{"background", "square"}));
  fs::remove(data() / "classes.json");
  TrainResult unnamed = train(tiny_job(data(), dir_ / "none", hp));
  EXPECT_EQ(inference::read_artifact(unnamed.model).classes, (std::vector<std::string>{"class_0", "class_1"}));
  io::write_file_atomic(data() / "classes.json", R"({"names": ["background", "square"]})");
  const std::string message = test::message_of<UserError>([&] { train(tiny_job(data(), dir_ / "bad", hp)); });
  EXPECT_NE(message.find("classes.json"), std::string::npos) << message;
  EXPECT_NE(message.find("plain JSON array of names"), std::string::npos) << message;
}

TEST_F(Trainer, DataChecksAndIncrementalTraining) {
  json hp = test::tiny_hyperparameters();
  hp["num_training_samples"] = "9";
  try {
    train(tiny_job(data(), dir_ / "x", hp));
    FAIL();
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("holds 8"), std::string::npos) << e.what();
  }
  hp = test::tiny_hyperparameters();
  hp["epochs"] = "1";
  TrainResult base = train(tiny_job(data(), dir_ / "base", hp));
  TrainOptions inc = tiny_job(data(), dir_ / "inc", hp);
  inc.previous_model = base.model;
  TrainResult again = train(inc);
  // Starting from the trained model, the first epoch's loss is below the fresh job's.
  EXPECT_LT(again.history[0]["train_loss"].get<double>(), base.history[0]["train_loss"].get<double>());
  for (auto [name, value] : std::vector<std::pair<std::string, std::string>>{{"crop_size", "40"}, {"backbone", "resnet-34"}, {"algorithm", "psp"}}) {
    json other = hp;
    other[name] = value;
    TrainOptions bad = tiny_job(data(), dir_ / ("bad-" + name), other);
    bad.previous_model = base.model;
    try {
      train(bad);
      FAIL() << name;
    } catch (const UserError& e) {
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace segmaker::train
