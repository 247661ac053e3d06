#!/usr/bin/python3
"""Training input modes side by side: File vs Pipe on the whole prepared Pet sample from s3rver (bench/input_modes;
BENCHMARKS.md).

Starts s3rver and `segmaker api` on loopback, uploads a prepared data set written with `prepare --manifest`
(its four folder channels and train.manifest / validation.manifest rewritten to s3:// URIs), and runs one-epoch
training jobs through boto3:
  * File  + S3Prefix (the four folder channels, downloaded first),
  * File  + AugmentedManifestFile (staged as folders),
  * Pipe  + AugmentedManifestFile (streamed into the job's named pipes).
For each: time from CreateTrainingJob to the first training step (the trainer's "first training step done" log
line, seen by polling the job's log every 20 ms), total job time (CreateTime -> Completed), peak disk use of the
job's folder (sampled every 50 ms) and peak resident memory of the training process (VmHWM).
Usage: bench/input_modes/measure.py BUILD/segmaker PREPARED_DATA_DIR [epochs]
Needs s3rver (scripts/install-deps), python3-boto3. Prints a JSON summary.
"""
import json, os, shutil, socket, subprocess, sys, tempfile, threading, time

import boto3
from botocore.config import Config

S3RVER = os.path.join(os.environ.get("SEGMAKER_CACHE_DIR", os.path.join(os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")),
                                                                          "segmaker")), "node/node_modules/s3rver/bin/s3rver.js")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("nothing listens on %d" % port)


def folder_bytes(path):
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                st = os.lstat(os.path.join(root, f))
                if (st.st_mode & 0o170000) == 0o100000:
                    total += st.st_size
            except OSError:
                pass
    return total


def hwm_kib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def run_job(sm, root, name, request):
    job_dir = os.path.join(root, "training-jobs", name)
    log = os.path.join(job_dir, "log.txt")
    peaks = {"disk": 0, "rss_kib": 0, "first_step": None}
    done = threading.Event()

    def sample():
        while not done.is_set():
            peaks["disk"] = max(peaks["disk"], folder_bytes(os.path.join(job_dir, "input")))
            try:
                with open(os.path.join(job_dir, "process.pid")) as f:
                    peaks["rss_kib"] = max(peaks["rss_kib"], hwm_kib(int(f.read().split()[0])))
            except (OSError, ValueError, IndexError):
                pass
            if peaks["first_step"] is None:
                try:
                    with open(log) as f:
                        if "first training step done" in f.read():
                            peaks["first_step"] = time.time()
                except OSError:
                    pass
            time.sleep(0.02)

    start = time.time()
    sm.create_training_job(**request)
    t = threading.Thread(target=sample)
    t.start()
    while True:
        d = sm.describe_training_job(TrainingJobName=name)
        if d["TrainingJobStatus"] not in ("InProgress", "Stopping"):
            break
        time.sleep(0.2)
    done.set()
    t.join()
    if d["TrainingJobStatus"] != "Completed":
        raise SystemExit("%s: %s %s\n%s" % (name, d["TrainingJobStatus"], d.get("FailureReason"), open(log).read()[-3000:]))
    end = [x for x in d["SecondaryStatusTransitions"] if x["Status"] == "Completed"][0]["StartTime"].timestamp()
    return {"first_step_s": round(peaks["first_step"] - start, 2) if peaks["first_step"] else None,
            "job_s": round(end - start, 1), "peak_disk_mb": round(peaks["disk"] / 1e6, 1),
            "peak_rss_mb": round(peaks["rss_kib"] / 1024, 0)}


def main():
    exe, data = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    epochs = sys.argv[3] if len(sys.argv) > 3 else "1"
    work = tempfile.mkdtemp(prefix="segmaker-input-bench-")
    s3port, apiport = free_port(), free_port()
    env = dict(os.environ, AWS_ACCESS_KEY_ID="S3RVER", AWS_SECRET_ACCESS_KEY="S3RVER", AWS_REGION="us-east-1",
               AWS_ENDPOINT_URL="http://127.0.0.1:%d" % s3port, NODE_OPTIONS="--openssl-legacy-provider")
    procs = [subprocess.Popen(["node", S3RVER, "-d", os.path.join(work, "s3"), "-a", "127.0.0.1", "-p", str(s3port), "--silent",
                               "--configure-bucket", "bench"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        wait_port(s3port)
        # The manifests point at the bucket's copies.
        staged = os.path.join(work, "data")
        shutil.copytree(data, staged)
        for m in ("train.manifest", "validation.manifest"):
            with open(os.path.join(staged, m)) as f:
                text = f.read().replace("file://" + data.rstrip("/"), "s3://bench/pets")
            with open(os.path.join(staged, m), "w") as f:
                f.write(text)
        subprocess.run([exe, "sync", staged, "s3://bench/pets", "--no-progress"], env=env, check=True, capture_output=True)
        root = os.path.join(work, "root")
        procs.append(subprocess.Popen([exe, "--threads", "2", "api", "--port", str(apiport), "--root", root], env=env,
                                      stdout=open(os.path.join(work, "api.log"), "w"), stderr=subprocess.STDOUT))
        wait_port(apiport)
        sm = boto3.client("sagemaker", endpoint_url="http://127.0.0.1:%d" % apiport, region_name="us-east-1",
                          aws_access_key_id="x", aws_secret_access_key="x", config=Config(retries={"max_attempts": 1}))
        images = sum(1 for line in open(os.path.join(staged, "train.manifest")) if line.strip())
        hp = {"backbone": "resnet-18", "algorithm": "fcn", "use_pretrained_model": "False", "num_classes": "3",
              "num_training_samples": str(images), "epochs": epochs, "mini_batch_size": "8", "validation_mini_batch_size": "8",
              "crop_size": "128", "base_size": "160", "output_stride": "16"}
        folders = [{"ChannelName": c, "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://bench/pets/" + c}}}
                   for c in ("train", "train_annotation", "validation", "validation_annotation")]
        # prepare's trimap labels are 0..2 already: the manifests need no label map.
        manifests = [{"ChannelName": c, "RecordWrapperType": "RecordIO", "ContentType": "application/x-recordio",
                      "DataSource": {"S3DataSource": {"S3DataType": "AugmentedManifestFile", "S3Uri": "s3://bench/pets/%s.manifest" % c,
                                                      "AttributeNames": ["source-ref", "pets-ref"]}}}
                     for c in ("train", "validation")]
        results = {}
        for name, mode, channels in (("file-folders", "File", folders), ("file-manifest", "File", manifests),
                                     ("pipe-manifest", "Pipe", manifests)):
            request = dict(TrainingJobName=name, HyperParameters=hp, RoleArn="arn:aws:iam::000000000000:role/dummy",
                           AlgorithmSpecification={"TrainingImage": "semantic-segmentation", "TrainingInputMode": mode},
                           InputDataConfig=channels, OutputDataConfig={"S3OutputPath": "s3://bench/out"},
                           ResourceConfig={"InstanceType": "ml.c5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 10},
                           StoppingCondition={"MaxRuntimeInSeconds": 3600})
            results[name] = run_job(sm, root, name, request)
            print(name, results[name], file=sys.stderr, flush=True)
        channel_mb = round(folder_bytes(os.path.join(data, "train")) / 1e6 + folder_bytes(os.path.join(data, "train_annotation")) / 1e6 +
                           folder_bytes(os.path.join(data, "validation")) / 1e6 +
                           folder_bytes(os.path.join(data, "validation_annotation")) / 1e6, 1)
        print(json.dumps({"train_images": images, "epochs": int(epochs), "channels_mb": channel_mb, "jobs": results}, indent=2))
    finally:
        for p in reversed(procs):
            p.terminate()
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
