#!/usr/bin/env bash
# Serving benchmark: raw model throughput (batch transform, no HTTP) next to `segmaker serve` under
# wrk load at concurrency 1, 4 and 16 (latency p50/p99, requests/s), and the server's peak memory.
#
# usage: bench/serve_wrk.sh MODEL.tar.gz IMAGE.jpg [SECONDS per level] [extra serve flags...]
# env:   SEGMAKER (default build/segmaker), ACCEPT (default image/png), THREADS (default all cores),
#        PRECISION (default auto; raw and serve alike), RAW_COPIES (images for the raw rate, default 48)
# Network traffic goes to 127.0.0.1 only.
set -euo pipefail
model=$1 image=$2 seconds=${3:-20}
shift $(( $# >= 3 ? 3 : $# ))
segmaker=${SEGMAKER:-build/segmaker}
accept=${ACCEPT:-image/png}
threads=${THREADS:-$(nproc)}
precision=${PRECISION:-auto}
raw_copies=${RAW_COPIES:-48}
here=$(cd "$(dirname "$0")" && pwd)
command -v wrk >/dev/null || { echo "wrk not installed (apt-get install wrk)"; exit 1; }

work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
echo "== $(date -u +%FT%TZ) $(uname -m), $(nproc) cores, load: $(uptime | sed 's/.*load average: //')"
echo "== model $model, image $image ($(/usr/bin/python3 -c "from PIL import Image; import sys; print('%dx%d' % Image.open(sys.argv[1]).size)" "$image" 2>/dev/null || echo ?), $(stat -c %s "$image") bytes), accept $accept, $threads threads, precision $precision"

# Raw: the Predictor over copies of the image, one at a time, no HTTP (decode + predict + encode).
mkdir -p "$work/in"
for i in $(seq 1 "$raw_copies"); do cp "$image" "$work/in/img$i.jpg"; done
"$segmaker" --threads "$threads" predict --model "$model" --input "$work/in" --output "$work/out" \
  --accept "$accept" --workers 1 --precision "$precision" 2>&1 | grep -E "images/s|precision" | sed 's/^/raw: /'

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$segmaker" --threads "$threads" serve --model "$model" --host 127.0.0.1 --port "$port" --precision "$precision" "$@" > "$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$port/ping" >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$port/ping" >/dev/null || { cat "$work/serve.log"; exit 1; }
# Warm-up.
curl -sf -o /dev/null -H "Content-Type: image/jpeg" -H "Accept: $accept" --data-binary @"$image" "http://127.0.0.1:$port/invocations"

for c in 1 4 16; do
  echo "== concurrency $c"
  WRK_IMAGE=$image WRK_ACCEPT=$accept wrk -t1 -c"$c" -d"${seconds}s" --timeout 120s --latency \
    -s "$here/wrk_post.lua" "http://127.0.0.1:$port/invocations" | grep -E "Latency|50%|99%|Requests/sec|requests in|Non-2xx|Socket errors"
done
echo "== server peak memory (VmHWM): $(grep VmHWM /proc/$server/status | awk '{print $2, $3}')"
kill -TERM $server
wait $server && echo "== server drained and exited 0"
grep -E "stopped:" "$work/serve.log" || true
