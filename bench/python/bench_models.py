#!/usr/bin/python3
"""Python PyTorch reference for bench/bench_models.cpp: the same segmentation architectures
(torchvision FCN / DeepLabV3 on ResNet-50, a PSP head built from torchvision pieces), batch 1,
eval mode, no grad, random weights, 3 classes.

With --cpp PATH it also runs the C++ benchmark for each configuration right before measuring
Python, so both are measured interleaved under the same machine load, and prints a markdown
table with the ratio. Needs Debian's python3-torch / python3-torchvision (run with /usr/bin/python3).

  /usr/bin/python3 bench/python/bench_models.py --cpp build/bench/bench_models --threads 2
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
from torchvision.models.segmentation.deeplabv3 import ASPP, DeepLabV3
from torchvision.models.segmentation.fcn import FCN, FCNHead

DILATION = {8: [False, True, True], 16: [False, False, True], 32: [False, False, False]}
ASPP_RATES = {8: [12, 24, 36], 16: [6, 12, 18], 32: [3, 6, 9]}


class PyramidPooling(nn.Module):
    def __init__(self, in_channels, bins=(1, 2, 3, 6)):
        super().__init__()
        inter = in_channels // 4
        self.stages = nn.ModuleList(
            nn.Sequential(nn.AdaptiveAvgPool2d(b), nn.Conv2d(in_channels, inter, 1, bias=False),
                          nn.BatchNorm2d(inter), nn.ReLU(inplace=True)) for b in bins)

    def forward(self, x):
        size = x.shape[-2:]
        outs = [x] + [F.interpolate(s(x), size=size, mode="bilinear", align_corners=False) for s in self.stages]
        return torch.cat(outs, 1)


class PSPHead(nn.Sequential):
    def __init__(self, in_channels, num_classes):
        inter = in_channels // 4
        super().__init__(PyramidPooling(in_channels), nn.Conv2d(2 * in_channels, inter, 3, padding=1, bias=False),
                         nn.BatchNorm2d(inter), nn.ReLU(inplace=True), nn.Dropout(0.1), nn.Conv2d(inter, num_classes, 1))


def build(algorithm, output_stride, num_classes=3):
    if algorithm == "fcn" and output_stride == 8:
        from torchvision.models.segmentation import fcn_resnet50
        return fcn_resnet50(weights=None, weights_backbone=None, num_classes=num_classes)
    if algorithm == "deeplab" and output_stride == 8:
        from torchvision.models.segmentation import deeplabv3_resnet50
        return deeplabv3_resnet50(weights=None, weights_backbone=None, num_classes=num_classes)
    trunk = resnet50(weights=None, replace_stride_with_dilation=DILATION[output_stride])
    backbone = IntermediateLayerGetter(trunk, return_layers={"layer4": "out"})
    if algorithm == "fcn":
        return FCN(backbone, FCNHead(2048, num_classes), None)
    if algorithm == "deeplab":
        head = nn.Sequential(ASPP(2048, ASPP_RATES[output_stride]), nn.Conv2d(256, 256, 3, padding=1, bias=False),
                             nn.BatchNorm2d(256), nn.ReLU(), nn.Conv2d(256, num_classes, 1))
        return DeepLabV3(backbone, head, None)
    if algorithm == "psp":
        return FCN(backbone, PSPHead(2048, num_classes), None)  # FCN's forward: backbone, head, upsample
    raise ValueError(algorithm)


def conv_gflops(model, x):
    total = [0.0]

    def hook(module, inputs, output):
        w = module.weight
        total[0] += 2.0 * output.numel() * w.shape[1] * w.shape[2] * w.shape[3]

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, nn.Conv2d)]
    model(x)
    for h in handles:
        h.remove()
    return total[0] / 1e9


def time_python(algorithm, size, output_stride, iterations):
    torch.manual_seed(0)
    model = build(algorithm, output_stride).eval()
    x = torch.randn(1, 3, size, size)
    with torch.no_grad():
        gflops = conv_gflops(model, x)  # also the warm-up forward
        start = time.perf_counter()
        for _ in range(iterations):
            out = model(x)["out"]
        elapsed = (time.perf_counter() - start) / iterations
    assert out.shape == (1, 3, size, size)
    return elapsed * 1e3, gflops


def run_cpp(binary, pattern, threads):
    cmd = [binary, f"--benchmark_filter={pattern}", "--benchmark_format=json"]
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    res = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
    # "Forward/fcn/240/os8/eager/iterations:3/real_time" -> "Forward/fcn/240/os8/eager"
    return {"/".join(b["name"].split("/")[:5]): b for b in json.loads(res.stdout)["benchmarks"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cpp", help="path of the bench_models program (interleave C++ and Python)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--algorithms", default="fcn,psp,deeplab")
    ap.add_argument("--sizes", default="240,512")
    ap.add_argument("--strides", default="8,16")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    if args.cpp:
        sgemm = run_cpp(args.cpp, "^Sgemm", args.threads)
        print(f"C++ sgemm 2048: {next(iter(sgemm.values()))['GFLOP/s']:.1f} GFLOP/s, "
              f"threads {args.threads}, torch {torch.__version__}")
        print("| model | size | OS | GFLOPs/img | Python eager ms | C++ eager ms | C++ folded ms | "
              "C++ folded+NHWC weights ms | Python / C++ eager | Python / C++ best | C++ best GFLOP/s |")
        print("|---|---|---|---|---|---|---|---|---|---|---|")
    for algorithm in args.algorithms.split(","):
        for size in map(int, args.sizes.split(",")):
            for os_ in map(int, args.strides.split(",")):
                iterations = 1 if size >= 512 else 3  # as bench_models.cpp
                if args.cpp:
                    prefix = f"Forward/{algorithm}/{size}/os{os_}/"
                    cpp = run_cpp(args.cpp, "^" + prefix, args.threads)
                    eager, folded, nhwc = (cpp[prefix + v] for v in ("eager", "folded", "prepared"))
                    best = min((folded, nhwc), key=lambda b: b["real_time"])
                py_ms, gflops = time_python(algorithm, size, os_, iterations)
                if args.cpp:
                    print(f"| {algorithm}-resnet-50 | {size} | {os_} | {gflops:.1f} (C++ {folded['GFLOPs/img']:.1f}) "
                          f"| {py_ms:.0f} | {eager['real_time']:.0f} | {folded['real_time']:.0f} "
                          f"| {nhwc['real_time']:.0f} | {py_ms / eager['real_time']:.2f}x "
                          f"| {py_ms / best['real_time']:.2f}x | {best['GFLOP/s']:.0f} |", flush=True)
                else:
                    print(f"{algorithm} {size} os{os_}: {py_ms:.0f} ms, {gflops:.1f} GFLOPs, "
                          f"{gflops / py_ms * 1e3:.0f} GFLOP/s", flush=True)


if __name__ == "__main__":
    main()
