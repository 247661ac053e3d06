#!/usr/bin/python3
"""Python PyTorch reference for bench/bench_train.cpp: one training step (forward, cross-entropy
with ignore_index 255, backward, SGD momentum 0.9 / weight decay 1e-4) of torchvision's FCN ResNet-50,
random weights, 3 classes, crop 240, batch 4; the whole network or with the backbone frozen
(requires_grad False, backbone in eval mode), output stride 8 or 16, fp32 or bf16 (forward and loss
under torch.autocast("cpu", dtype=torch.bfloat16), fp32 weights and optimizer: PyTorch's recipe).

With --cpp PATH it runs the C++ benchmark for each configuration right before measuring Python, so
both are measured interleaved under the same load, and prints a markdown table with the ratio.

  /usr/bin/python3 bench/python/bench_train.py --cpp build/bench/bench_train --threads 2 [--precision fp32 bf16]

Images/s from wall time and from process CPU time (all threads) are both printed: on a machine others
load, the CPU-time figure is the one to compare.
"""
import argparse
import json
import os
import resource
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


def cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def python_images_per_second(frozen, output_stride, batch, iterations, crop, precision):
    torch.manual_seed(0)
    model = build(output_stride)
    model.train()
    if frozen:
        for p in model.backbone.parameters():
            p.requires_grad_(False)
        model.backbone.eval()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.SGD(params, lr=0.001, momentum=0.9, weight_decay=1e-4)
    x = torch.randn(batch, 3, crop, crop)
    y = torch.randint(0, 3, (batch, crop, crop))

    def step():
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
            out = model(x)["out"]
            loss = F.cross_entropy(out.float(), y, ignore_index=255)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    step()  # warm-up
    start, cpu = time.perf_counter(), cpu_seconds()
    for _ in range(iterations):
        step()
    return batch * iterations / (time.perf_counter() - start), batch * iterations / (cpu_seconds() - cpu)


def cpp_images_per_second(binary, name, threads, crop, batch):
    out = subprocess.run([binary, f"--benchmark_filter=^{name}$", "--benchmark_format=json", f"--crop={crop}",
                          f"--batch={batch}"], check=True,
                         capture_output=True, text=True, env=dict(os.environ, OMP_NUM_THREADS=str(threads)))
    b = json.loads(out.stdout)["benchmarks"][0]
    return b["images/s"], batch / b["cpu_time"]  # cpu_time: process CPU seconds per iteration


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cpp", help="path to bench_train (C++) to interleave with")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--iterations", type=int, default=2)
    ap.add_argument("--os", type=int, nargs="+", default=[8, 16])
    ap.add_argument("--precision", nargs="+", default=["fp32", "bf16"])
    ap.add_argument("--crop", type=int, default=240)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--no-python", action="store_true", help="only the C++ benchmark")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    nan = (float("nan"), float("nan"))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, crop {args.crop}, batch {args.batch}")
    print("| configuration | C++ images/s (wall) | C++ images per CPU-s | Python images/s (wall) | Python images per CPU-s | C++ / Python (CPU) |")
    print("|---|---|---|---|---|---|")
    for os_ in args.os:
        for frozen in (False, True):
            for precision in args.precision:
                name = f"TrainStep/{'frozen' if frozen else 'full'}/os{os_}/batch{args.batch}/{precision}"
                cpp = (cpp_images_per_second(args.cpp, name, torch.get_num_threads(), args.crop, args.batch)
                       if args.cpp else nan)
                py = nan if args.no_python else python_images_per_second(frozen, os_, args.batch, args.iterations,
                                                                         args.crop, precision)
                print(f"| fcn resnet-50 crop {args.crop} {name} | {cpp[0]:.3f} | {cpp[1]:.3f} | {py[0]:.3f} | {py[1]:.3f} "
                      f"| {cpp[1] / py[1]:.2f} |", flush=True)


if __name__ == "__main__":
    main()
