#!/usr/bin/python3
"""Python references for bench/bench_precision.cpp (batch 1, random weights, 3 classes, eval, no grad):
PyTorch eager fp32, bf16 autocast (`torch.autocast("cpu", dtype=torch.bfloat16)`), FX post-training
int8 on the onednn engine (`get_default_qconfig_mapping("onednn")`, prepare_fx, 2 calibration
batches, convert_fx), and ONNX Runtime fp32 (the model exported with torch.onnx.export, opset 13,
timed by bench/node/ort_bench.js). The same architectures as bench/python/bench_models.py.

  /usr/bin/python3 bench/python/bench_precision.py --config fcn/240/os16 [--variants torch-fp32,...]
Prints one JSON object per line like bench_precision: {"config", "variant", "best_ms", "median_ms"}.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_models import build  # noqa: E402

warnings.filterwarnings("ignore")
HERE = os.path.dirname(os.path.abspath(__file__))


class Out(torch.nn.Module):
    """The model's "out" logits as a plain tensor (FX and ONNX want one)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x)["out"]


def best_of(fn, repeats):
    """Best and median wall ms, best process CPU ms (all threads)."""
    fn()  # warm-up
    ms, cpu = [], []
    for _ in range(repeats):
        c0 = time.process_time()
        t0 = time.perf_counter()
        fn()
        ms.append((time.perf_counter() - t0) * 1e3)
        cpu.append((time.process_time() - c0) * 1e3)
    ms.sort()
    return ms[0], ms[len(ms) // 2], min(cpu)


def fx_int8(model, x):
    from torch.ao.quantization import get_default_qconfig_mapping
    from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx
    torch.backends.quantized.engine = "onednn"
    prepared = prepare_fx(model, get_default_qconfig_mapping("onednn"), example_inputs=(x,))
    with torch.no_grad():
        prepared(x)
        prepared(torch.randn_like(x))
    return convert_fx(prepared)


def ort(model, x, size, threads, repeats, node_modules):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.onnx")
        torch.onnx.export(model, x, path, opset_version=13, input_names=["input"], output_names=["out"])
        env = dict(os.environ, NODE_PATH=node_modules)
        res = subprocess.run(["node", os.path.join(HERE, "..", "node", "ort_bench.js"), path, str(size),
                              "--threads", str(threads), "--repeats", str(repeats)],
                             check=True, capture_output=True, text=True, env=env)
        r = json.loads(res.stdout)
        return r["best_ms"], r["median_ms"], r["best_cpu_ms"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", required=True, help="algorithm/size/os<stride>, e.g. fcn/240/os16")
    ap.add_argument("--variants", default="torch-fp32,torch-bf16-autocast,torch-int8-fx,ort-fp32")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--node-modules", default=os.path.join(
        os.environ.get("SEGMAKER_CACHE_DIR", os.path.join(os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")),
                                                          "segmaker")), "node", "node_modules"))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    algorithm, size, stride = args.config.split("/")
    size, stride = int(size), int(stride[2:])
    torch.manual_seed(0)
    model = Out(build(algorithm, stride)).eval()
    x = torch.randn(1, 3, size, size)
    for variant in args.variants.split(","):
        with torch.no_grad():
            if variant == "torch-fp32":
                best, median, cpu = best_of(lambda: model(x), args.repeats)
            elif variant == "torch-bf16-autocast":
                def run():
                    with torch.autocast("cpu", dtype=torch.bfloat16):
                        return model(x)
                best, median, cpu = best_of(run, args.repeats)
            elif variant == "torch-int8-fx":
                q = fx_int8(model, x)
                best, median, cpu = best_of(lambda: q(x), args.repeats)
            elif variant == "ort-fp32":
                if not os.path.isdir(os.path.join(args.node_modules, "onnxruntime-node")):
                    print(f"bench_precision.py: no onnxruntime-node under {args.node_modules} (scripts/install-deps): "
                          "ONNX Runtime skipped", file=sys.stderr)
                    continue
                try:
                    best, median, cpu = ort(model, x, size, args.threads, args.repeats, args.node_modules)
                except Exception as e:  # e.g. PSP's 2x2 / 3x3 / 6x6 adaptive pools on a 15x15 map
                    print(f"bench_precision.py: {args.config}: ONNX Runtime skipped: {str(e).splitlines()[0][:200]}",
                          file=sys.stderr)
                    continue
            else:
                raise SystemExit(f"unknown variant {variant}")
        print(json.dumps({"config": args.config, "variant": variant, "best_ms": best, "median_ms": median,
                          "best_cpu_ms": cpu}), flush=True)


if __name__ == "__main__":
    main()
