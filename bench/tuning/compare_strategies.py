"""Tuning strategies side by side on the Pet sample: segmaker's tuning jobs (Bayesian, Random, Hyperband)
through `segmaker api` and boto3, next to Optuna's TPE (Debian python3-optuna) driving the same
`segmaker train` with the same ranges, budget and seeds. Writes OUT/results.json, OUT/results.md (the
table BENCHMARKS.md quotes) and OUT/tuning.png (best validation:mIOU so far against trials and against
training seconds, the mean over the seeds).

    python3 bench/tuning/compare_strategies.py --segmaker build/segmaker --data PREPARED --out OUT
        [--trials 8] [--seeds 1 2] [--epochs 3] [--methods Bayesian Random Hyperband OptunaTPE]

PREPARED is a `segmaker prepare` folder (train/, validation/, *_annotation/). The recipe is short on
purpose: a frozen ImageNet ResNet-50 (the offline weights, docs/pretrained-weights.md), FCN head, 128-pixel
crops, --epochs epochs per trial; tuned: learning_rate (1e-4 … 1e-1, log), momentum (0.9 … 0.999),
weight_decay (1e-5 … 1e-3, log), mini_batch_size (4 … 16). Trials run one at a time (MaxParallel 1), so
"training seconds" is the compute each method spent. Hyperband: MinResource 1, MaxResource = --epochs.
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

# botocore 1.42 (the SDK's, ../shared/tools) knows RandomSeed; Debian's 1.29 does not (then the tuning job
# names, which differ per seed, seed the search instead).
_SITE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "tools", "sagemaker-sdk-v2", "site")
if os.path.isdir(_SITE):
    sys.path.insert(0, _SITE)
import boto3  # noqa: E402
from botocore.exceptions import ParamValidationError  # noqa: E402

RANGES = {
    "ContinuousParameterRanges": [
        {"Name": "learning_rate", "MinValue": "0.0001", "MaxValue": "0.1", "ScalingType": "Logarithmic"},
        {"Name": "momentum", "MinValue": "0.9", "MaxValue": "0.999", "ScalingType": "Linear"},
        {"Name": "weight_decay", "MinValue": "0.00001", "MaxValue": "0.001", "ScalingType": "Logarithmic"},
    ],
    "IntegerParameterRanges": [{"Name": "mini_batch_size", "MinValue": "4", "MaxValue": "16", "ScalingType": "Linear"}],
}


def static_hyperparameters(data, epochs):
    train = len([n for n in os.listdir(os.path.join(data, "train")) if n.endswith(".jpg")])
    return {"backbone": "resnet-50", "algorithm": "fcn", "use_pretrained_model": "True", "freeze_backbone": "True",
            "num_classes": "3", "num_training_samples": str(train), "epochs": str(epochs), "crop_size": "128",
            "base_size": "160", "output_stride": "16", "validation_mini_batch_size": "8", "precision": "auto"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_tuning_job(client, method, seed, args, data, out):
    name = "%s-s%d" % (method.lower()[:8], seed)
    channels = [{"ChannelName": c, "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix",
                                                                    "S3Uri": "file://" + os.path.join(data, c)}}}
                for c in ("train", "train_annotation", "validation", "validation_annotation")]
    config = {"Strategy": method, "RandomSeed": seed,
              "HyperParameterTuningJobObjective": {"Type": "Maximize", "MetricName": "validation:mIOU"},
              "ResourceLimits": {"MaxNumberOfTrainingJobs": args.trials, "MaxParallelTrainingJobs": 1},
              "ParameterRanges": RANGES, "TrainingJobEarlyStoppingType": "Off"}
    if method == "Hyperband":
        config["StrategyConfig"] = {"HyperbandStrategyConfig": {"MinResource": 1, "MaxResource": args.epochs}}
    definition = {
        "StaticHyperParameters": static_hyperparameters(data, args.epochs),
        "AlgorithmSpecification": {"TrainingImage": "semantic-segmentation", "TrainingInputMode": "File"},
        "RoleArn": "arn:aws:iam::000000000000:role/bench", "InputDataConfig": channels,
        "OutputDataConfig": {"S3OutputPath": "file://" + os.path.join(out, "api-output")},
        "ResourceConfig": {"InstanceType": "ml.c5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 1},
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600}}
    try:
        client.create_hyper_parameter_tuning_job(HyperParameterTuningJobName=name, HyperParameterTuningJobConfig=config,
                                                 TrainingJobDefinition=definition)
    except ParamValidationError:
        del config["RandomSeed"]
        client.create_hyper_parameter_tuning_job(HyperParameterTuningJobName=name, HyperParameterTuningJobConfig=config,
                                                 TrainingJobDefinition=definition)
    while client.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)[
            "HyperParameterTuningJobStatus"] in ("InProgress", "Stopping"):
        time.sleep(2)
    trials = client.list_training_jobs_for_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=name, SortBy="CreationTime", SortOrder="Ascending", MaxResults=100)["TrainingJobSummaries"]
    rows = []
    for t in trials:
        job = client.describe_training_job(TrainingJobName=t["TrainingJobName"])
        seconds = (job["TrainingEndTime"] - job["TrainingStartTime"]).total_seconds()
        value = t.get("FinalHyperParameterTuningJobObjectiveMetric", {}).get("Value")
        rows.append({"objective": value, "seconds": seconds, "status": t["TrainingJobStatus"],
                     "hyperparameters": t["TunedHyperParameters"]})
    return rows


def run_optuna(seed, args, data, out):
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    rows = []
    statics = static_hyperparameters(data, args.epochs)

    def objective(trial):
        hp = dict(statics)
        hp["learning_rate"] = str(trial.suggest_float("learning_rate", 1e-4, 1e-1, log=True))
        hp["momentum"] = str(trial.suggest_float("momentum", 0.9, 0.999))
        hp["weight_decay"] = str(trial.suggest_float("weight_decay", 1e-5, 1e-3, log=True))
        hp["mini_batch_size"] = str(trial.suggest_int("mini_batch_size", 4, 16))
        folder = tempfile.mkdtemp(prefix="optuna-", dir=out)
        with open(os.path.join(folder, "hyperparameters.json"), "w") as f:
            json.dump(hp, f)
        start = time.time()
        subprocess.run([args.segmaker, "train", "--data", data, "--hyperparameters",
                        os.path.join(folder, "hyperparameters.json"), "--output", os.path.join(folder, "out"),
                        "--no-progress"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        seconds = time.time() - start
        with open(os.path.join(folder, "out", "metrics.jsonl")) as f:
            value = [json.loads(line) for line in f if line.strip()][-1]["mIOU"]
        rows.append({"objective": value, "seconds": seconds, "status": "Completed",
                     "hyperparameters": {k: hp[k] for k in ("learning_rate", "momentum", "weight_decay", "mini_batch_size")}})
        return value

    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
    study.optimize(objective, n_trials=args.trials)
    return rows


def best_so_far(rows):
    best, out = None, []
    for r in rows:
        if r["objective"] is not None and (best is None or r["objective"] > best):
            best = r["objective"]
        out.append(best)
    return out


def summarize(results, args):
    lines = ["| method | seed | best mIOU after trial 1 … %d | best | trials to reach the best | training s |" % args.trials,
             "|---|---|---|---|---|---|"]
    for method, runs in results.items():
        for seed, rows in runs.items():
            curve = best_so_far(rows)
            best = curve[-1]
            first = next(i + 1 for i, v in enumerate(curve) if v == best)
            lines.append("| %s | %s | %s | %.4f | %d | %.0f |" % (
                method, seed, " ".join("%.3f" % v if v is not None else "-" for v in curve), best, first,
                sum(r["seconds"] for r in rows)))
    return "\n".join(lines) + "\n"


def chart(results, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
    for method, runs in results.items():
        curves = [best_so_far(rows) for rows in runs.values()]
        n = min(len(c) for c in curves)
        mean = [sum(c[i] for c in curves) / len(curves) for i in range(n)]
        a.plot(range(1, n + 1), mean, marker="o", label=method)
        seconds = [[sum(r["seconds"] for r in rows[:i + 1]) for i in range(n)] for rows in runs.values()]
        b.plot([sum(s[i] for s in seconds) / len(seconds) for i in range(n)], mean, marker="o", label=method)
    a.set_xlabel("trials")
    b.set_xlabel("training seconds (cumulative, 2 cores)")
    for axis in (a, b):
        axis.set_ylabel("best validation:mIOU so far (mean over seeds)")
        axis.grid(alpha=0.3)
        axis.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segmaker", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--trials", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--methods", nargs="+", default=["Bayesian", "Random", "Hyperband", "OptunaTPE"])
    args = parser.parse_args()
    data, out = os.path.abspath(args.data), os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    port = free_port()
    api = subprocess.Popen([args.segmaker, "api", "--port", str(port), "--root", os.path.join(out, "api"), "--max-jobs", "1",
                            "--allow-local-path", data, "--allow-local-path", out],
                           stdout=open(os.path.join(out, "api.log"), "w"), stderr=subprocess.STDOUT)
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    client = boto3.client("sagemaker", endpoint_url="http://127.0.0.1:%d" % port, region_name="us-east-1")
    for _ in range(100):
        try:
            client.list_hyper_parameter_tuning_jobs()
            break
        except Exception:
            time.sleep(0.2)
    results = {}
    try:
        for method in args.methods:
            results[method] = {}
            for seed in args.seeds:
                started = time.time()
                rows = run_optuna(seed, args, data, out) if method == "OptunaTPE" else run_tuning_job(client, method, seed, args, data, out)
                results[method][str(seed)] = rows
                print("%s seed %d: best %.4f in %.0f s" % (method, seed, best_so_far(rows)[-1] or 0, time.time() - started),
                      flush=True)
                with open(os.path.join(out, "results.json"), "w") as f:
                    json.dump(results, f, indent=1)
    finally:
        api.terminate()
        api.wait()
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write(summarize(results, args))
    chart(results, os.path.join(out, "tuning.png"))
    print(summarize(results, args))


if __name__ == "__main__":
    sys.exit(main())
