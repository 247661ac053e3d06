#include <nlohmann/json.hpp>

#include "io/error.h"
#include "io/paths.h"
#include "support/test_util.h"
#include "train/hyperparameters.h"
#include "sagemaker/container_layout.h"

namespace segmaker::train {
namespace fs = std::filesystem;
namespace {

void make_layout(const sagemaker::SageMakerLayout& l, bool with_validation = true) {
  io::write_file_atomic(l.config_dir() / "hyperparameters.json",
                        R"({"num_classes": "3", "num_training_samples": "2", "epochs": "1", "use_pretrained_model": "False"})");
  nlohmann::json idc = {{"train", {{"TrainingInputMode", "File"}}}, {"train_annotation", {{"TrainingInputMode", "File"}}}};
  if (with_validation) idc.update({{"validation", {{"TrainingInputMode", "File"}}}, {"validation_annotation", {{"TrainingInputMode", "File"}}}});
  io::write_file_atomic(l.config_dir() / "inputdataconfig.json", idc.dump());
  io::write_file_atomic(l.config_dir() / "resourceconfig.json", R"({"current_host": "algo-2", "hosts": ["algo-1", "algo-2"]})");
  for (const char* c : {"train", "validation", "train_annotation", "validation_annotation"})
    fs::create_directories(l.data_dir() / c);
}

TEST(SageMakerEnv, ReadsTheContainerLayout) {
  test::TempDir dir;
  sagemaker::SageMakerLayout l{dir.path()};
  make_layout(l);
  sagemaker::SageMakerJob job = sagemaker::read_sagemaker_job(l);
  EXPECT_EQ(job.current_host, "algo-2");
  EXPECT_EQ(job.hosts.size(), 2u);
  EXPECT_TRUE(job.previous_model.empty());
  Hyperparameters h = parse_hyperparameters(job.hyperparameters);  // all strings
  EXPECT_EQ(h.num_classes, 3);
  EXPECT_FALSE(h.use_pretrained_model);
  io::write_file_atomic(l.data_dir() / "model" / "model.tar.gz", "x");
  EXPECT_EQ(sagemaker::read_sagemaker_job(l).previous_model, l.data_dir() / "model" / "model.tar.gz");
}

TEST(SageMakerEnv, MissingChannelsAndPipeModeAreClearErrors) {
  test::TempDir dir;
  sagemaker::SageMakerLayout l{dir.path()};
  make_layout(l, /*with_validation=*/false);
  try {
    sagemaker::read_sagemaker_job(l);
    FAIL();
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("channel 'validation' is required"), std::string::npos) << e.what();
  }
  io::write_file_atomic(l.config_dir() / "inputdataconfig.json", R"({"train": {"TrainingInputMode": "Pipe"}})");
  EXPECT_THROW(sagemaker::read_sagemaker_job(l), UserError);
  EXPECT_THROW(sagemaker::read_sagemaker_job(sagemaker::SageMakerLayout{dir / "nothing"}), UserError);
}

TEST(SageMakerEnv, FailureFileHoldsTheFirst1024Characters) {
  test::TempDir dir;
  sagemaker::SageMakerLayout l{dir.path()};
  sagemaker::write_failure(l, std::string(3000, 'x'));
  EXPECT_EQ(io::read_file(l.failure_file()).size(), 1024u);
  sagemaker::write_failure(l, "num_classes is required");
  EXPECT_EQ(io::read_file(l.failure_file()), "num_classes is required");
}

}  // namespace
}  // namespace segmaker::train
