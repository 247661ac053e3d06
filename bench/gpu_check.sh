#!/usr/bin/env bash
# GPU check (issue 12): builds segmaker against the LibTorch inside a CUDA PyTorch
# (torch.utils.cmake_prefix_path), runs the model and inference tests, then one short training job
# on the GPU and prints its images/s (record it in BENCHMARKS.md "GPU").
# NOT RUN YET: no GPU machine was lent when it was written. Expect to fix small things on first use.
#
#   bench/gpu_check.sh [PET_FOLDER]      (default ../shared/data/oxford-pet)
# Needs: a CUDA machine with PyTorch 2.x (python3 -c 'import torch' works, torch.cuda.is_available()),
# Debian 12 packages from scripts/install-deps except libtorch-dev. PyTorch wheels before 2.6 use the
# pre-C++11 std::string ABI while Debian's OpenCV/spdlog use the C++11 one: use a wheel >= 2.6 (or a
# conda / source build with _GLIBCXX_USE_CXX11_ABI=1), otherwise the link fails on std::string symbols.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
pets=${1:-../shared/data/oxford-pet}

$python - <<'PY'
import torch
assert torch.cuda.is_available(), "no CUDA device visible to PyTorch"
print("torch", torch.__version__, "CUDA", torch.version.cuda, torch.cuda.get_device_name(0),
      "cxx11 abi", torch._C._GLIBCXX_USE_CXX11_ABI)
PY
prefix=$($python -c 'import torch.utils; print(torch.utils.cmake_prefix_path)')
cmake -S . -B build-cuda -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" -DSEGMAKER_BUILD_BENCH=OFF
cmake --build build-cuda --target segmaker test_models test_inference
ctest --test-dir build-cuda -L 'models|inference' --output-on-failure

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
build-cuda/segmaker prepare --input "$pets" --output "$work/data" --force || [ $? -eq 3 ]
ntrain=$(find "$work/data/train" -maxdepth 1 -name '*.jpg' | wc -l)
# The demo's recipe, full backbone, 2 epochs, on the GPU (the weights: scripts/fetch-weights).
scripts/fetch-weights build-cuda/segmaker || true
build-cuda/segmaker train --data "$work/data" --hyperparameters scripts/demo-hyperparameters.json --output "$work/model" \
    --set num_training_samples="$ntrain" --set freeze_backbone=False --set mini_batch_size=16 --device cuda
grep -o '"train_images_per_second":[0-9.]*' "$work/model/metrics.jsonl" || tail -3 "$work/model/metrics.jsonl"
build-cuda/segmaker evaluate --model "$work/model/model.tar.gz" --data "$work/data" --device cuda
