#!/usr/bin/env bash
# Upload and download of the prepared Oxford-Pet sample to a local s3rver: MB/s and objects/s for
# `segmaker sync` next to `aws s3 sync` (Debian awscli v2) on the same data, in the same run.
#
#   bench/s3_transfer.sh [PET_DIR] [RUNS]        # defaults: ../shared/data/oxford-pet, 3 runs
#
# Needs build/segmaker, /usr/bin/aws and s3rver (scripts/install-deps). Prints one line per tool and
# direction with the median of RUNS runs (each run into a fresh prefix / folder; downloads with
# --no-cache so that both tools fetch every object).
set -euo pipefail
cd "$(dirname "$0")/.."

pet=${1:-../shared/data/oxford-pet}
runs=${2:-3}
segmaker=${SEGMAKER:-build/segmaker}
aws=/usr/bin/aws
s3rver="${SEGMAKER_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/segmaker}/node/node_modules/s3rver/bin/s3rver.js"
for f in "$segmaker" "$aws" "$s3rver"; do
  [ -e "$f" ] || { echo "s3_transfer: missing $f (build segmaker; run scripts/install-deps)" >&2; exit 1; }
done

work=$(mktemp -d /tmp/segmaker-s3bench.XXXXXX)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

"$segmaker" prepare --input "$pet" --output "$work/prepared" --no-progress > "$work/prepare.log" 2>&1 || {
  rc=$?; [ $rc -eq 3 ] || { cat "$work/prepare.log"; exit $rc; }; }
objects=$(find "$work/prepared" -type f | wc -l)
bytes=$(find "$work/prepared" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$work/s3"
NODE_OPTIONS=--openssl-legacy-provider node "$s3rver" -d "$work/s3" -a 127.0.0.1 -p "$port" --silent \
  --configure-bucket bench > "$work/s3rver.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
endpoint="http://127.0.0.1:$port"
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_PAGER=""

seconds() {  # runs "$@" quietly; prints the wall time in seconds
  local start end
  start=$(date +%s.%N)
  "$@" > "$work/last.log" 2>&1 || { cat "$work/last.log" >&2; exit 1; }
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN {print b - a}' 
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -A times
for run in $(seq "$runs"); do
  times[segmaker_up]+="$(seconds "$segmaker" --s3-endpoint "$endpoint" sync --no-progress "$work/prepared" "s3://bench/seg$run") "
  times[aws_up]+="$(seconds "$aws" --endpoint-url "$endpoint" s3 sync --only-show-errors "$work/prepared" "s3://bench/aws$run") "
  times[segmaker_down]+="$(seconds "$segmaker" --s3-endpoint "$endpoint" --no-cache sync --no-progress "s3://bench/seg$run" "$work/down-seg$run") "
  times[aws_down]+="$(seconds "$aws" --endpoint-url "$endpoint" s3 sync --only-show-errors "s3://bench/aws$run" "$work/down-aws$run") "
  diff -r "$work/prepared" "$work/down-seg$run" > /dev/null || { echo "segmaker download differs" >&2; exit 1; }
  diff -r "$work/prepared" "$work/down-aws$run" > /dev/null || { echo "aws download differs" >&2; exit 1; }
done

echo "prepared Pet sample: $objects objects, $(awk -v b="$bytes" 'BEGIN {printf "%.1f", b / 1e6}') MB; s3rver 3.7.1 on loopback; median of $runs runs"
printf '%-10s %-9s %8s %8s %10s\n' tool direction seconds MB/s objects/s
for key in segmaker_up aws_up segmaker_down aws_down; do
  t=$(echo "${times[$key]}" | tr ' ' '\n' | grep -v '^$' | median)
  printf '%-10s %-9s %8.2f %8.1f %10.0f\n' "${key%_*}" "${key#*_}load" "$t" \
    "$(awk -v b="$bytes" -v t="$t" 'BEGIN {print b / 1e6 / t}')" "$(awk -v n="$objects" -v t="$t" 'BEGIN {print n / t}')"
done
