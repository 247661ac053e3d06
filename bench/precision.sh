#!/usr/bin/env bash
# segmaker's fp32 / bf16 / int8 forward against PyTorch eager fp32, bf16 autocast, FX int8 (onednn)
# and ONNX Runtime fp32, interleaved configuration by configuration in one run (so all see the same
# machine load), repeated in rounds; the table takes the best of all rounds per cell and prints
# GFLOPs/img and achieved GFLOP/s next to the machine's measured 1x1-convolution peak per precision.
#
#   bench/precision.sh [--rounds 3] [--repeats 5] [--threads 2] [--configs "fcn/240/os16 fcn/240/os8 ..."]
#                      [--cpp build/bench/bench_precision] [--out precision-bench.jsonl]
# Needs: the bench_precision target (cmake --build build --target bench_precision), Debian python3-torch
# and python3-torchvision (/usr/bin/python3), node with onnxruntime-node@1.20.1 in segmaker's cache
# (scripts/install-deps). The raw measurements go to --out (JSON lines), the table to stdout.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=3 repeats=5 threads=2 cpp=build/bench/bench_precision out=precision-bench.jsonl
configs=""
for a in fcn psp deeplab; do for s in 240 512; do for o in 16 8; do configs+="$a/$s/os$o "; done; done; done
cpp_variants=fp32,bf16-autocast,bf16,bf16-nhwc,bf16-blocked,int8
py_variants=torch-fp32,torch-bf16-autocast,torch-int8-fx,ort-fp32
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --repeats) repeats=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --configs) configs=$2; shift 2 ;;
    --cpp) cpp=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --cpp-variants) cpp_variants=$2; shift 2 ;;
    --py-variants) py_variants=$2; shift 2 ;;
    *) echo "precision.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -x "$cpp" ] || { echo "precision.sh: $cpp not found: cmake --build build --target bench_precision" >&2; exit 1; }

: > "$out"
load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "{\"start\": \"$(date -u +%FT%TZ)\", \"load\": \"$(load)\", \"cpu\": \"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs)\", \"cores\": $(nproc)}" >> "$out"
"$cpp" --peak --threads "$threads" --repeats "$repeats" --algorithms none >> "$out"
for r in $(seq 1 "$rounds"); do
  for c in $configs; do
    IFS=/ read -r algorithm size stride <<< "$c"
    echo "round $r/$rounds: $c (load $(load))" >&2
    "$cpp" --algorithms "$algorithm" --sizes "$size" --strides "${stride#os}" --variants "$cpp_variants" \
        --threads "$threads" --repeats "$repeats" | grep '"config"' >> "$out" || echo "precision.sh: $c: C++ failed" >&2
    OMP_NUM_THREADS=$threads /usr/bin/python3 bench/python/bench_precision.py --config "$c" --variants "$py_variants" \
        --threads "$threads" --repeats "$repeats" >> "$out" || echo "precision.sh: $c: Python failed" >&2
  done
done
echo "{\"end\": \"$(date -u +%FT%TZ)\", \"load\": \"$(load)\"}" >> "$out"
/usr/bin/python3 bench/python/precision_table.py "$out"
