#!/usr/bin/env bash
# SageMaker API overhead: InvokeEndpoint through `segmaker api` (POST /endpoints/NAME/invocations,
# routed to the endpoint's serving process) next to calling the same serving process directly, under
# wrk at concurrency 1, 4 and 16; and the control plane's latencies: CreateEndpoint → InService and,
# with a data folder, CreateTrainingJob → Training (SecondaryStatus) and → Completed.
#
# usage: bench/api_overhead.sh MODEL.tar.gz IMAGE.jpg [SECONDS per level] [PREPARED_DATA_DIR]
# env:   SEGMAKER (default build/segmaker), THREADS (LibTorch threads of the serving process, default all cores)
# A small model (e.g. resnet-18, crop 64) makes the per-request overhead visible; with a large one it
# drowns in the model's own time. Network traffic goes to 127.0.0.1 only.
set -euo pipefail
model=$(realpath "$1") image=$(realpath "$2") seconds=${3:-15} data=${4:-}
segmaker=${SEGMAKER:-build/segmaker}
threads=${THREADS:-$(nproc)}
here=$(cd "$(dirname "$0")" && pwd)
command -v wrk >/dev/null || { echo "wrk not installed (apt-get install wrk)"; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill $p 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"' EXIT
echo "== $(date -u +%FT%TZ) $(uname -m), $(nproc) cores, load: $(uptime | sed 's/.*load average: //')"
echo "== model $model, image $image ($(stat -c %s "$image") bytes), $threads LibTorch threads, ${seconds}s per level"

run_wrk() {  # LABEL URL CONCURRENCY
  echo "-- $1, concurrency $3"
  WRK_IMAGE=$image WRK_ACCEPT=image/png wrk -t1 -c"$3" -d"${seconds}s" --timeout 120s --latency \
    -s "$here/wrk_post.lua" "$2" | grep -E "50%|99%|Requests/sec|Non-2xx|Socket errors"
}

# The serving process alone, and the same model behind `segmaker api` (one instance), both up; the
# levels alternate between them so that a change in the machine's load hits both alike.
port=$(free_port)
"$segmaker" --threads "$threads" serve --model "$model" --host 127.0.0.1 --port "$port" > "$work/serve.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$port/ping" >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf -o /dev/null -H "Content-Type: image/jpeg" --data-binary @"$image" "http://127.0.0.1:$port/invocations"

api_port=$(free_port)
"$segmaker" --threads "$threads" api --port "$api_port" --root "$work/api" --allow-local-path "$(dirname "$model")" > "$work/api.log" 2>&1 &
pids+=($!)
api="http://127.0.0.1:$api_port"
call() {  # OPERATION JSON
  curl -s -H "X-Amz-Target: SageMaker.$1" -H "Content-Type: application/x-amz-json-1.1" -d "$2" "$api/"
}
field() { python3 -c "import json,sys; print(json.load(sys.stdin).get('$1', ''))"; }
for _ in $(seq 1 100); do call ListModels '{}' >/dev/null 2>&1 && break; sleep 0.1; done
role=arn:aws:iam::000000000000:role/bench
call CreateModel "{\"ModelName\":\"bench\",\"ExecutionRoleArn\":\"$role\",\"PrimaryContainer\":{\"Image\":\"semantic-segmentation\",\"ModelDataUrl\":\"$model\"}}" >/dev/null
call CreateEndpointConfig '{"EndpointConfigName":"bench","ProductionVariants":[{"VariantName":"AllTraffic","ModelName":"bench","InitialInstanceCount":1,"InstanceType":"ml.m5.large"}]}' >/dev/null
start=$(date +%s.%N)
call CreateEndpoint '{"EndpointName":"bench","EndpointConfigName":"bench"}' >/dev/null
while [ "$(call DescribeEndpoint '{"EndpointName":"bench"}' | field EndpointStatus)" = Creating ]; do sleep 0.05; done
end=$(date +%s.%N)
echo "== CreateEndpoint → $(call DescribeEndpoint '{"EndpointName":"bench"}' | field EndpointStatus): $(python3 -c "print('%.2f s' % ($end - $start))") (client clock, polling every 50 ms)"
curl -sf -o /dev/null -H "Content-Type: image/jpeg" --data-binary @"$image" "$api/endpoints/bench/invocations"
for c in 1 4 16; do
  run_wrk "direct: segmaker serve, POST /invocations" "http://127.0.0.1:$port/invocations" "$c"
  run_wrk "through segmaker api: POST /endpoints/bench/invocations" "$api/endpoints/bench/invocations" "$c"
done
call DeleteEndpoint '{"EndpointName":"bench"}' >/dev/null
kill -TERM "${pids[0]}"; wait "${pids[0]}" || true

# 3. CreateTrainingJob → Training → Completed (1 epoch) when a prepared data folder is given.
if [ -n "$data" ]; then
  data=$(realpath "$data")
  n=$(ls "$data/train" | wc -l)
  channels=""
  for c in train train_annotation validation validation_annotation; do
    channels="$channels{\"ChannelName\":\"$c\",\"DataSource\":{\"S3DataSource\":{\"S3DataType\":\"S3Prefix\",\"S3Uri\":\"file://$data/$c\"}}},"
  done
  request="{\"TrainingJobName\":\"bench\",\"HyperParameters\":{\"backbone\":\"resnet-18\",\"use_pretrained_model\":\"False\",\"num_classes\":\"3\",\"num_training_samples\":\"$n\",\"epochs\":\"1\",\"crop_size\":\"64\",\"base_size\":\"80\",\"mini_batch_size\":\"4\"},\"AlgorithmSpecification\":{\"TrainingImage\":\"semantic-segmentation\",\"TrainingInputMode\":\"File\"},\"RoleArn\":\"$role\",\"InputDataConfig\":[${channels%,}],\"OutputDataConfig\":{\"S3OutputPath\":\"file://$work/out\"},\"ResourceConfig\":{\"InstanceType\":\"ml.m5.large\",\"InstanceCount\":1,\"VolumeSizeInGB\":1},\"StoppingCondition\":{\"MaxRuntimeInSeconds\":3600}}"
  call CreateTrainingJob "$request" >/dev/null
  while true; do
    status=$(call DescribeTrainingJob '{"TrainingJobName":"bench"}' | field TrainingJobStatus)
    [ "$status" = InProgress ] || break
    sleep 0.2
  done
  call DescribeTrainingJob '{"TrainingJobName":"bench"}' | python3 -c "
import json, sys
d = json.load(sys.stdin)
t = {x['Status']: x['StartTime'] for x in d['SecondaryStatusTransitions']}
print('== CreateTrainingJob (%s, %d train images, 1 epoch): → Training %.2f s, → Completed %.2f s (server timestamps)' % (
    d['TrainingJobStatus'], $n, t['Training'] - d['CreationTime'], d.get('TrainingEndTime', 0) - d['CreationTime']))"
fi
kill -TERM "${pids[1]}"; wait "${pids[1]}" && echo "== segmaker api stopped cleanly"
