#!/usr/bin/python3
"""Python PyTorch reference for bench/bench_train.cpp: one training step (forward, cross-entropy
with ignore_index 255, backward, SGD momentum 0.9 / weight decay 1e-4) of torchvision's FCN ResNet-50,
random weights, 3 classes, crop 240, batch 4; the whole network or with the backbone frozen
(requires_grad False, backbone in eval mode), output stride 8 or 16.

With --cpp PATH it runs the C++ benchmark for each configuration right before measuring Python, so
both are measured interleaved under the same load, and prints a markdown table with the ratio.

  /usr/bin/python3 bench/python/bench_train.py --cpp build/bench/bench_train --threads 2
"""
import argparse
import json
import os
import subprocess
import time

import torch
from torch import nn
from torch.nn import functional as F
from torchvision.models import resnet50
from torchvision.models._utils import IntermediateLayerGetter
from torchvision.models.segmentation.fcn import FCN, FCNHead

DILATION = {8: [False, True, True], 16: [False, False, True]}


def build(output_stride, num_classes=3):
    trunk = resnet50(weights=None, replace_stride_with_dilation=DILATION[output_stride])
    backbone = IntermediateLayerGetter(trunk, return_layers={"layer4": "out"})
    return FCN(backbone, FCNHead(2048, num_classes), None)


def python_images_per_second(frozen, output_stride, batch, iterations):
    torch.manual_seed(0)
    model = build(output_stride)
    model.train()
    if frozen:
        for p in model.backbone.parameters():
            p.requires_grad_(False)
        model.backbone.eval()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.SGD(params, lr=0.001, momentum=0.9, weight_decay=1e-4)
    x = torch.randn(batch, 3, 240, 240)
    y = torch.randint(0, 3, (batch, 240, 240))

    def step():
        out = model(x)["out"]
        loss = F.cross_entropy(out, y, ignore_index=255)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    step()  # warm-up
    start = time.perf_counter()
    for _ in range(iterations):
        step()
    return batch * iterations / (time.perf_counter() - start)


def cpp_images_per_second(binary, name, threads):
    out = subprocess.run([binary, f"--benchmark_filter=^{name}/", "--benchmark_format=json"], check=True,
                         capture_output=True, text=True, env=dict(os.environ, OMP_NUM_THREADS=str(threads)))
    return json.loads(out.stdout)["benchmarks"][0]["images/s"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cpp", help="path to bench_train (C++) to interleave with")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--iterations", type=int, default=2)
    ap.add_argument("--os", type=int, nargs="+", default=[8, 16])
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    print("| configuration | C++ images/s | Python images/s | C++ / Python |")
    print("|---|---|---|---|")
    for os_ in args.os:
        for frozen in (False, True):
            name = f"TrainStep/{'frozen' if frozen else 'full'}/os{os_}/batch4"
            cpp = cpp_images_per_second(args.cpp, name, torch.get_num_threads()) if args.cpp else float("nan")
            py = python_images_per_second(frozen, os_, 4, args.iterations)
            print(f"| fcn resnet-50 crop 240 {name} | {cpp:.3f} | {py:.3f} | {cpp / py:.2f} |", flush=True)


if __name__ == "__main__":
    main()
