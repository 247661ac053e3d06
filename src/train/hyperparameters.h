#pragma once
// SageMaker's semantic-segmentation hyperparameters, parsed once into a typed struct, torch-free.
//
// One table (hyperparameters.cpp) holds every name, its type, default and allowed values. Values may
// be strings, as SageMaker writes them in /opt/ml/input/config/hyperparameters.json ("True", "0.001",
// "10,20"), or JSON types (true, 0.001, [10, 20]). An unknown name, a value of the wrong type or out of
// range throws UserError naming the hyperparameter and what is allowed, before any work starts.
// Keys starting with "_" or "sagemaker_" (set by SageMaker itself, e.g. _tuning_objective_metric)
// are ignored.
//
// Extensions beyond SageMaker's list: output_stride, aux_loss, aux_weight, freeze_backbone, seed,
// warmup_epochs, data_workers, precision.
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace segmaker::train {

struct Hyperparameters {
  // --- SageMaker's documented hyperparameters ---
  std::string backbone = "resnet-50";  // resnet-50 | resnet-101 (| resnet-18 | resnet-34, ours)
  std::string algorithm = "fcn";       // fcn | psp | deeplab
  bool use_pretrained_model = true;
  int num_classes = 0;           // required, 2..254
  int num_training_samples = 0;  // required, must equal the train channel's size
  int base_size = 520;
  int crop_size = 240;           // rounded up to a multiple of 8
  int epochs = 10;
  double learning_rate = 0.001;
  std::string lr_scheduler = "poly";  // poly | step | cosine
  double lr_scheduler_factor = 0.1;
  std::vector<int> lr_scheduler_step;  // epochs, increasing (required for step)
  int mini_batch_size = 16;
  int validation_mini_batch_size = 16;
  std::string optimizer = "sgd";  // sgd | adam | adagrad | nag | rmsprop
  double momentum = 0.9;
  double weight_decay = 0.0001;
  double gamma1 = 0.9;  // rmsprop: decay of the squared-gradient average (torch alpha)
  double gamma2 = 0.9;  // rmsprop: momentum
  bool syncbn = false;
  bool early_stopping = false;
  int early_stopping_min_epochs = 5;
  int early_stopping_patience = 4;
  double early_stopping_tolerance = 0.0;

  // --- extensions ---
  int output_stride = 8;        // 8 | 16 | 32 (dilated ResNet; 8 is GluonCV's choice)
  bool aux_loss = false;        // auxiliary FCN head on layer3
  double aux_weight = 0.2;      // its loss weight (GluonCV's default)
  bool freeze_backbone = false; // train only the head(s)
  int seed = 0;
  int warmup_epochs = 0;        // linear warm-up from 0 to learning_rate, per iteration
  int data_workers = 0;         // data-loading threads; 0 = as many as the torch threads
  // fp32 | bf16 | auto: the arithmetic of the training steps (train/mixed_precision.h). bf16 runs the
  // forward pass and the loss under autocast with fp32 master weights and optimizer state; checkpoints
  // and the model artifact are fp32 either way. auto = bf16 on a CPU with native bf16, else fp32.
  std::string precision = "fp32";
};

// Parses a JSON object of hyperparameters (strings or JSON types) and fills in the defaults.
// `require_data_fields` = false lets num_classes / num_training_samples be absent (evaluation,
// or when the caller fills them from the data). Throws UserError.
Hyperparameters parse_hyperparameters(const nlohmann::json& object, bool require_data_fields = true);
// `NAME=VALUE` overrides (the CLI's --set) written over a hyperparameter object, values as strings
// (as SageMaker writes them). Throws UserError on one without a name or '='.
nlohmann::json with_overrides(nlohmann::json object, const std::vector<std::string>& overrides);
// The same from a file (hyperparameters.json), with `overrides` applied before parsing.
Hyperparameters load_hyperparameters(const std::string& path, bool require_data_fields = true,
                                     const std::vector<std::string>& overrides = {});

// Every hyperparameter with its resolved value, as JSON types (the artifact stores this).
nlohmann::json to_json(const Hyperparameters& h);

// A table of all names, defaults and allowed values (for --help and the docs).
std::string describe_hyperparameters();
// The same table as JSON (`segmaker hyperparameters --json`: what the API's tuning jobs check their
// ranges against): [{"name", "type": Integer | Continuous | Categorical | IntegerList, "default",
// "required", "allowed" (the sentence), "min", "max" (null when unbounded), "min_open", "max_open",
// "values" (Categorical: the choices; "True"/"False" for a boolean)}].
nlohmann::json hyperparameter_table();
// What parse_hyperparameters (num_classes / num_training_samples may be absent) says of `object`: "" when
// it parses, else its message. `segmaker hyperparameters --check` answers with it for the API's tuning jobs.
std::string hyperparameters_problem(const nlohmann::json& object);

}  // namespace segmaker::train
