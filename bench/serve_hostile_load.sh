#!/usr/bin/env bash
# Hostile load: `segmaker serve` under wrk for SECONDS at CONCURRENCY connections with a mix of good
# requests and every kind of bad one from issue 14 (bench/wrk_hostile.lua), while a prober GETs
# /ping on a fresh connection every 100 ms (bench/ping_probe.py) and a sampler reads the server's
# resident memory every 0.5 s. Prints wrk's figures with the status counts, /ping p50/p99/max, the
# peak RSS, and whether the server was alive at the end and drained on SIGTERM.
#
# usage: bench/serve_hostile_load.sh [MODEL.tar.gz] [SECONDS=60] [CONCURRENCY=64] [extra serve flags...]
#   Without a model, one is made like the demo's (FCN / ResNet-50, output stride 16, crop 160) but with
#   random weights (use_pretrained_model=False),
#   trained 1 epoch on 8 pairs of the Oxford-Pet sample (the real artifact path, a few minutes).
# env: SEGMAKER (default build/segmaker), DATA (default ../shared/data/oxford-pet), THREADS (all cores)
# Network traffic goes to 127.0.0.1 only.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
segmaker=${SEGMAKER:-build/segmaker}
data=${DATA:-../shared/data/oxford-pet}
threads=${THREADS:-$(nproc)}
model=${1:-}
seconds=${2:-60}
concurrency=${3:-64}
shift $(( $# >= 3 ? 3 : $# ))
command -v wrk >/dev/null || { echo "wrk not installed (apt-get install wrk)"; exit 1; }

work=$(mktemp -d)
server=""
trap '[ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$work"' EXIT
echo "== $(date -u +%FT%TZ) $(uname -m), $(nproc) cores, load: $(uptime | sed 's/.*load average: //')"

if [ -z "$model" ]; then
  echo "== making a model: FCN / ResNet-50, random weights, 1 epoch on 8 Pet pairs"
  mkdir -p "$work/pets/images" "$work/pets/annotations/trimaps"
  for f in $(ls "$data/images" | grep -E '^(Abyssinian|beagle)_1[0-9]?\.jpg$' | awk 'NR <= 8'); do
    cp "$data/images/$f" "$work/pets/images/"
    cp "$data/annotations/trimaps/${f%.jpg}.png" "$work/pets/annotations/trimaps/"
  done
  "$segmaker" prepare --input "$work/pets" --output "$work/data" --validation-fraction 0.25 --no-progress >/dev/null
  n=$(ls "$work/data/train" | wc -l)
  cat > "$work/hp.json" <<EOF
{"backbone": "resnet-50", "algorithm": "fcn", "use_pretrained_model": "False", "num_classes": "3",
 "num_training_samples": "$n", "epochs": "1", "mini_batch_size": "2", "validation_mini_batch_size": "2",
 "base_size": "240", "crop_size": "160", "output_stride": "16"}
EOF
  "$segmaker" --threads "$threads" train --data "$work/data" --hyperparameters "$work/hp.json" --output "$work/model" >/dev/null 2>&1
  model="$work/model/model.tar.gz"
fi

# Request bodies: a real photo and the hostile files of issue 14's table.
mkdir -p "$work/bodies"
cp "$data/images/Abyssinian_1.jpg" "$work/bodies/good.jpg"
/usr/bin/python3 - "$work/bodies" <<'EOF'
import struct, sys, zlib
out = sys.argv[1]
jpeg = bytearray(open(out + "/good.jpg", "rb").read())
sof = jpeg.find(b"\xff\xc0")
if sof < 0:
    sof = jpeg.find(b"\xff\xc2")
jpeg[sof + 5:sof + 9] = struct.pack(">HH", 20000, 20000)
open(out + "/jpeg_bomb.jpg", "wb").write(jpeg)
open(out + "/gif_bomb.gif", "wb").write(b"GIF89a" + struct.pack("<HH", 20000, 20000) + b"\x80\x00\x00\x00\x00\x00\xff\xff\xff"
                                        b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00;")
def png(width, height, depth, colour, rows):
    chunk = lambda kind, data: struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    compressor, idat = zlib.compressobj(9), b""
    for row in rows:
        idat += compressor.compress(b"\x00" + row)
    idat += compressor.flush()
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)) +
            chunk(b"IDAT", idat) + chunk(b"IEND", b""))
open(out + "/thin.png", "wb").write(png(1000, 1, 8, 2, [bytes(3000)]))
zero_row = bytes(30000 // 8)
open(out + "/png_bomb.png", "wb").write(png(30000, 30000, 1, 0, (zero_row for _ in range(30000))))
EOF

port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$segmaker" --threads "$threads" serve --model "$model" --host 127.0.0.1 --port "$port" "$@" > "$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$port/ping" >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$port/ping" >/dev/null || { cat "$work/serve.log"; exit 1; }
curl -sf -o /dev/null -H "Content-Type: image/jpeg" --data-binary @"$work/bodies/good.jpg" "http://127.0.0.1:$port/invocations"
echo "== model $model; serve defaults $*; idle RSS after one request: $(grep VmRSS /proc/$server/status | awk '{print $2/1024 " MiB"}')"

# Memory sampler and /ping prober, for the whole run.
( peak=0; while kill -0 $server 2>/dev/null && [ ! -e "$work/stop" ]; do
    rss=$(awk '/VmRSS/ {print $2}' /proc/$server/status 2>/dev/null || echo 0)
    [ "${rss:-0}" -gt "$peak" ] && peak=$rss
    sleep 0.5
  done; echo "rss: peak sampled $((peak / 1024)) MiB" ) > "$work/rss.txt" &
sampler=$!
/usr/bin/python3 "$here/ping_probe.py" "$port" "$work/stop" > "$work/ping.txt" &
prober=$!

echo "== wrk: $concurrency connections, ${seconds} s, the mix of bench/wrk_hostile.lua"
WRK_DIR="$work/bodies" wrk -t2 -c"$concurrency" -d"${seconds}s" --timeout 30s --latency \
  -s "$here/wrk_hostile.lua" "http://127.0.0.1:$port/" | grep -E "Latency|50%|99%|Requests/sec|requests in|Non-2xx|Socket errors|status counts"
touch "$work/stop"
wait $prober $sampler
cat "$work/ping.txt" "$work/rss.txt"
echo "== server peak memory (VmHWM): $(grep VmHWM /proc/$server/status | awk '{print $2/1024 " MiB"}')"
kill -0 $server && echo "== server alive after the run"
kill -TERM $server
wait $server && echo "== server drained and exited 0"
server=""
grep -E "stopped:" "$work/serve.log" || true
{ grep -ciE "terminate|abort|segmentation" "$work/serve.log" || true; } | sed 's/^/== crash lines in the server log: /'
