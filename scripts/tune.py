"""Tune the model: automatic model tuning with the real SageMaker Python SDK v2 against `segmaker api`.

The cells a SageMaker user writes to tune the built-in Semantic Segmentation algorithm -- an Estimator, a
HyperparameterTuner on validation:mIOU with SageMaker's documented ranges, fit(), the best training job and
the tuning job's analytics -- unchanged; the environment points the SDK at segmaker, as for
scripts/notebook.py (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_S3, SAGEMAKER_USER_CONFIG_OVERRIDE).

    python3 scripts/tune.py DATA_DIR [--hyperparameters FILE] [--strategy Bayesian] [--max-jobs 4]
                            [--max-parallel-jobs 2] [--early-stopping Auto]

DATA_DIR holds the four channels (segmaker prepare); --hyperparameters is a JSON object of the
Estimator's static hyperparameters (num_training_samples is taken from the data). Prints "TUNING OK" at
the end; a failed cell raises. tests/api/test_tuning_clients.cpp runs it.
"""
import argparse
import json
import os

from notebook_common import cell_printer, estimator_hyperparameters  # first: the loopback guard

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("data_dir")
parser.add_argument("--hyperparameters", help="JSON file of the Estimator's static hyperparameters")
parser.add_argument("--strategy", default="Bayesian", choices=["Bayesian", "Random", "Hyperband", "Grid"])
parser.add_argument("--max-jobs", type=int, default=4)
parser.add_argument("--max-parallel-jobs", type=int, default=2)
parser.add_argument("--early-stopping", default="Auto", choices=["Auto", "Off"])
args = parser.parse_args()
hyperparameters = estimator_hyperparameters(
    {"backbone": "resnet-50", "algorithm": "fcn", "use_pretrained_model": "True", "num_classes": 3,
     "epochs": 3, "crop_size": 240, "base_size": 240, "freeze_backbone": "True"},
    args.hyperparameters, args.data_dir)
cell = cell_printer("tuning")


import sagemaker  # noqa: E402
from sagemaker import image_uris  # noqa: E402
from sagemaker.inputs import TrainingInput  # noqa: E402
from sagemaker.tuner import (CategoricalParameter, ContinuousParameter, HyperparameterTuner,  # noqa: E402
                             IntegerParameter)

cell("Session, channels, Estimator")
sess = sagemaker.Session()
bucket = sess.default_bucket()
prefix = "semantic-segmentation-tuning"
role = "arn:aws:iam::000000000000:role/service-role/AmazonSageMaker-ExecutionRole"
channels = {}
for channel in ("train", "validation", "train_annotation", "validation_annotation"):
    uri = sess.upload_data(os.path.join(args.data_dir, channel), bucket=bucket, key_prefix=prefix + "/" + channel)
    channels[channel] = TrainingInput(uri, distribution="FullyReplicated", s3_data_type="S3Prefix",
                                      content_type="image/png" if "annotation" in channel else "image/jpeg")
estimator = sagemaker.estimator.Estimator(
    image_uris.retrieve("semantic-segmentation", sess.boto_region_name), role, instance_count=1,
    instance_type="ml.c5.xlarge", max_run=3600, output_path="s3://{}/{}/output".format(bucket, prefix),
    sagemaker_session=sess)
estimator.set_hyperparameters(**hyperparameters)

cell("HyperparameterTuner.fit on validation:mIOU")
ranges = {"learning_rate": ContinuousParameter(1e-4, 1e-1, scaling_type="Logarithmic"),
          "momentum": ContinuousParameter(0.9, 0.999),
          "weight_decay": ContinuousParameter(1e-5, 1e-3, scaling_type="Logarithmic")}
if args.strategy == "Grid":
    ranges = {"optimizer": CategoricalParameter(["sgd", "adam"]), "learning_rate": CategoricalParameter(["0.001", "0.01"])}
else:
    ranges["optimizer"] = CategoricalParameter(["sgd", "adam", "rmsprop"])
    ranges["mini_batch_size"] = IntegerParameter(2, 4)
tuner = HyperparameterTuner(estimator, "validation:mIOU", ranges, objective_type="Maximize", strategy=args.strategy,
                            max_jobs=args.max_jobs, max_parallel_jobs=args.max_parallel_jobs,
                            early_stopping_type="Off" if args.strategy == "Hyperband" else args.early_stopping)
tuner.fit(channels)  # wait=True: polls DescribeHyperParameterTuningJob until the tuning job ends
name = tuner.latest_tuning_job.name
description = tuner.describe()
print("STATUS", name, description["HyperParameterTuningJobStatus"], json.dumps(description["TrainingJobStatusCounters"]),
      flush=True)
assert description["HyperParameterTuningJobStatus"] == "Completed", description

cell("the best training job")
best = tuner.best_training_job()
print("BEST", best, json.dumps(description["BestTrainingJob"]["TunedHyperParameters"]),
      description["BestTrainingJob"]["FinalHyperParameterTuningJobObjectiveMetric"]["Value"], flush=True)

cell("HyperparameterTuningJobAnalytics: every trial")
frame = sagemaker.HyperparameterTuningJobAnalytics(name, sagemaker_session=sess).dataframe()
print(frame.to_string(), flush=True)
assert len(frame) == args.max_jobs or args.strategy == "Grid", frame
assert frame["FinalObjectiveValue"].max() == description["BestTrainingJob"]["FinalHyperParameterTuningJobObjectiveMetric"]["Value"]
assert best == frame.sort_values("FinalObjectiveValue", ascending=False)["TrainingJobName"].iloc[0], frame
print("ANALYTICS", frame.to_json(orient="records"), flush=True)
print("TUNING OK", flush=True)
