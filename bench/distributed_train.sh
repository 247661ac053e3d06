#!/usr/bin/env bash
# Data-parallel training throughput on one machine: the same job (same global batch, same images)
# as 1 process × T threads and as N ranks × T/N threads via `segmaker launch`, on a subset of the
# prepared Oxford-Pet sample. Prints images/s of the last epoch from metrics.jsonl and, for the ranks,
# the gradient bytes all-reduced per step and the time per step spent waiting for them.
#
#   bench/distributed_train.sh [PREPARED_DATA] [TRAIN_IMAGES] [HYPERPARAMETER overrides...]
# PREPARED_DATA: output of `segmaker prepare` (default: prepares ../shared/data/oxford-pet into a
# temporary folder). Defaults: 32 train / 16 validation images, fcn resnet-50 (random init), crop 240,
# output stride 16, mini_batch_size 8, 1 epoch.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
segmaker="${SEGMAKER:-$here/build/segmaker}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
data="${1:-}"
train_images="${2:-32}"
shift $(( $# > 2 ? 2 : $# )) || true
if [[ -z "$data" ]]; then
  data="$work/prepared"
  "$segmaker" prepare --input "$here/../shared/data/oxford-pet" --output "$data" --labels binary --no-progress >/dev/null
fi
# A subset with the channel layout: the first N train / N/2 validation pairs (symlinks).
sub="$work/subset"
for channel in train validation; do
  n=$train_images; [[ $channel == validation ]] && n=$(( train_images / 2 ))
  mkdir -p "$sub/$channel" "$sub/${channel}_annotation"
  for image in $(ls "$data/$channel" | sort | awk -v n="$n" 'NR <= n'); do
    ln -s "$data/$channel/$image" "$sub/$channel/$image"
    ln -s "$data/${channel}_annotation/${image%.*}.png" "$sub/${channel}_annotation/${image%.*}.png"
  done
done
cp "$data/classes.json" "$sub/"
cat > "$work/hp.json" <<JSON
{"backbone": "resnet-50", "algorithm": "fcn", "use_pretrained_model": "False", "num_classes": "2",
 "num_training_samples": "$train_images", "base_size": "260", "crop_size": "240", "output_stride": "16",
 "epochs": "1", "mini_batch_size": "8", "validation_mini_batch_size": "8", "learning_rate": "0.001", "seed": "1"}
JSON
sets=()
for o in "$@"; do sets+=(--set "$o"); done
cores=$(nproc)
run() {
  local name=$1; shift
  local start=$(date +%s.%N)
  "$@" train --data "$sub" --hyperparameters "$work/hp.json" --output "$work/$name" --no-progress "${sets[@]}" \
    > "$work/$name.log" 2>&1 || { cat "$work/$name.log"; exit 1; }
  local end=$(date +%s.%N)
  local ips=$(tail -n 1 "$work/$name/metrics.jsonl" | sed 's/.*"train_images_per_second":\([0-9.e+-]*\).*/\1/')
  printf '%-28s train images/s %8.3f   wall %6.1f s\n' "$name" "$ips" "$(awk -v a="$start" -v b="$end" 'BEGIN{print b-a}')"
  grep -h "all-reduced per step" "$work/$name.log" || true
}
run "1 process x $cores threads" "$segmaker" --threads "$cores"
for n in 2; do
  (( cores % n == 0 )) || continue
  run "$n ranks x $(( cores / n )) thread(s)" "$segmaker" launch --nproc "$n" --
done
