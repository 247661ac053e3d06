#!/usr/bin/python3
"""segmaker api on Slurm next to local child processes, on one machine (bench/slurm; BENCHMARKS.md).

Starts a 2-node Slurm cluster (scripts/slurm-cluster) and two services on loopback -- `--scheduler local`
and `--scheduler slurm` -- over the same prepared Pet data (file:// under an allowed folder: every node of
this cluster sees this machine's files), and measures with boto3:
  * submission latency: CreateTrainingJob -> SecondaryStatus Training, local vs Slurm (median of N);
  * one epoch of a 1-instance and of a 2-instance job on Slurm (same 2 cores: overhead, not speed-up), from
    the job's SecondaryStatusTransitions (Training -> Uploading), for 1 and 3 epochs;
  * a node's death (scripts/slurm-cluster kill-node n2) -> the job's Failed status.
Usage: bench/slurm/measure.py BUILD/segmaker PREPARED_DATA_DIR [repeats]
Prints a JSON summary. Needs root (slurmd), Slurm, munge, python3-boto3.
"""
import json, os, shutil, socket, statistics, subprocess, sys, tempfile, time

import boto3
from botocore.config import Config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def client(port):
    return boto3.client("sagemaker", endpoint_url="http://127.0.0.1:%d" % port, region_name="us-east-1",
                        aws_access_key_id="x", aws_secret_access_key="x", config=Config(retries={"max_attempts": 1}))


def request(name, data, out, instances, epochs, images):
    channels = [{"ChannelName": c, "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "file://%s/%s" % (data, c),
                                                                   "S3DataDistributionType": "FullyReplicated"}}}
                for c in ("train", "train_annotation", "validation", "validation_annotation")]
    hp = {"backbone": "resnet-18", "algorithm": "fcn", "use_pretrained_model": "False", "num_classes": "3",
          "num_training_samples": str(images), "epochs": str(epochs), "mini_batch_size": "8", "validation_mini_batch_size": "8",
          "crop_size": "128", "base_size": "160", "output_stride": "16", "data_workers": "1"}
    return dict(TrainingJobName=name, HyperParameters=hp, RoleArn="arn:aws:iam::000000000000:role/dummy",
                AlgorithmSpecification={"TrainingImage": "semantic-segmentation", "TrainingInputMode": "File"},
                InputDataConfig=channels, OutputDataConfig={"S3OutputPath": "file://%s" % out},
                ResourceConfig={"InstanceType": "ml.c5.xlarge", "InstanceCount": instances, "VolumeSizeInGB": 10},
                StoppingCondition={"MaxRuntimeInSeconds": 3600})


def wait(sm, name, predicate, timeout=900, interval=0.05):
    end = time.time() + timeout
    while time.time() < end:
        d = sm.describe_training_job(TrainingJobName=name)
        if predicate(d):
            return d
        time.sleep(interval)
    raise SystemExit("timeout waiting for %s: %s" % (name, d.get("SecondaryStatus")))


def transition(d, status):
    for t in d["SecondaryStatusTransitions"]:
        if t["Status"] == status:
            return t["StartTime"].timestamp()
    return None


def main():
    exe, data = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    images = len([n for n in os.listdir(os.path.join(data, "train")) if n.endswith(".jpg")])
    work = tempfile.mkdtemp(prefix="segmaker-slurm-bench-")
    os.chmod(work, 0o755)  # munged refuses a socket whose folders are not o+x
    cluster = os.path.join(work, "cluster")
    up = subprocess.run([os.path.join(ROOT, "scripts/slurm-cluster"), "up", cluster, "2"], capture_output=True, text=True)
    if up.returncode != 0:
        raise SystemExit("slurm-cluster up failed:\n" + up.stderr)
    conf = up.stdout.strip().split("=", 1)[1]
    env = dict(os.environ, SLURM_CONF=conf)
    types = os.path.join(work, "types.json")
    with open(types, "w") as f:
        json.dump({"ml.c5.xlarge": {"exclusive": True}}, f)
    services, result = [], {"machine": os.uname().nodename, "cores": os.cpu_count(), "train_images": images}
    try:
        ports = {}
        for mode in ("local", "slurm"):
            port = free_port()
            args = [exe, "--threads", "2", "api", "--port", str(port), "--root", os.path.join(work, mode), "--allow-local-path", work,
                    "--allow-local-path", data, "--stop-grace", "30"]
            if mode == "slurm":
                args += ["--scheduler", "slurm", "--instance-types", types, "--node-scratch", os.path.join(work, "scratch")]
            services.append(subprocess.Popen(args, env=env, stdout=open(os.path.join(work, mode + ".log"), "w"), stderr=subprocess.STDOUT))
            ports[mode] = port
        for mode in ports:
            for _ in range(100):
                try:
                    client(ports[mode]).list_training_jobs()
                    break
                except Exception:
                    time.sleep(0.1)
        out = os.path.join(work, "out")
        # Submission latency.
        for mode, port in ports.items():
            sm, times = client(port), []
            for i in range(repeats):
                name = "latency-%s-%d" % (mode, i)
                start = time.time()
                sm.create_training_job(**request(name, data, out, 1, 1, images))
                wait(sm, name, lambda d: d["SecondaryStatus"] == "Training" or d["TrainingJobStatus"] != "InProgress")
                times.append(time.time() - start)
                wait(sm, name, lambda d: d["TrainingJobStatus"] != "InProgress")
            result["create_to_training_seconds_" + mode] = {"median": statistics.median(times), "all": times}
        # Epoch time, 1 vs 2 instances, on Slurm: (3 epochs - 1 epoch) / 2 of Training -> Uploading.
        sm = client(ports["slurm"])
        for instances in (1, 2):
            spans = {}
            for epochs in (1, 3):
                name = "epoch-%d-%d" % (instances, epochs)
                sm.create_training_job(**request(name, data, out, instances, epochs, images))
                d = wait(sm, name, lambda d: d["TrainingJobStatus"] != "InProgress", interval=0.5)
                if d["TrainingJobStatus"] != "Completed":
                    raise SystemExit("%s: %s" % (name, d.get("FailureReason")))
                spans[epochs] = transition(d, "Uploading") - transition(d, "Training")
            result["slurm_epoch_seconds_%d_instance%s" % (instances, "s" if instances > 1 else "")] = (spans[3] - spans[1]) / 2
            result["slurm_1_epoch_job_training_seconds_%d" % instances] = spans[1]
        # A node's death.
        name = "node-death"
        sm.create_training_job(**request(name, data, out, 2, 500, images))
        wait(sm, name, lambda d: d["SecondaryStatus"] == "Training", interval=0.2)
        time.sleep(3)
        killed = time.time()
        subprocess.run([os.path.join(ROOT, "scripts/slurm-cluster"), "kill-node", cluster, "n2"], check=True, capture_output=True)
        d = wait(sm, name, lambda d: d["TrainingJobStatus"] != "InProgress", timeout=180, interval=0.2)
        result["node_death_to_failed_seconds"] = time.time() - killed
        result["node_death_status"] = d["TrainingJobStatus"]
        result["node_death_reason"] = d.get("FailureReason", "")
    finally:
        for p in services:
            p.terminate()
            p.wait()
        subprocess.run([os.path.join(ROOT, "scripts/slurm-cluster"), "down", cluster], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
