#!/usr/bin/python3
"""Markdown table of a bench/precision.sh run (JSON lines): best of all rounds per cell."""
import json
import sys

SEG = ["fp32", "bf16-autocast", "bf16", "bf16-nhwc", "bf16-blocked", "fp32-blocked", "int8"]
REF = ["torch-fp32", "torch-bf16-autocast", "torch-int8-fx", "ort-fp32"]


def main(path):
    best, cpu, gflops, peak, meta = {}, {}, {}, {}, []
    for line in open(path):
        line = line.strip()
        if not line:
            continue
        j = json.loads(line)
        if "peak" in j:
            peak = j["peak"]
        elif "config" in j:
            key = (j["config"], j["variant"])
            best[key] = min(best.get(key, float("inf")), j["best_ms"])
            if "best_cpu_ms" in j:
                cpu[key] = min(cpu.get(key, float("inf")), j["best_cpu_ms"])
            if "gflops" in j:
                gflops[j["config"]] = j["gflops"]
        else:
            meta.append(j)
    for m in meta:
        print("#", json.dumps(m))
    if peak:
        print(f"Measured peak (one 1x1 convolution 1024->1024 on 64x64, best of repeats): fp32 {peak['fp32']:.0f} GFLOP/s, "
              f"bf16 {peak['bf16']:.0f} GFLOP/s, int8 {peak['int8']:.0f} GOP/s\n")
    configs = sorted({c for c, _ in best}, key=lambda c: (c.split("/")[0], int(c.split("/")[1]), -int(c.split("/")[2][2:])))
    seg = [v for v in SEG if any((c, v) in best for c in configs)]
    ref = [v for v in REF if any((c, v) in best for c in configs)]
    head = ["model", "size", "OS", "GFLOPs/img"] + [f"segmaker {v} ms" for v in seg] + [f"{v} ms" for v in ref]
    head += ["bf16 (blocked) GFLOP/s", "int8 GOP/s", "bf16 vs torch bf16", "int8 vs torch int8", "best vs segmaker fp32"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for c in configs:
        algorithm, size, stride = c.split("/")
        g = gflops.get(c, 0.0)
        cell = lambda v: f"{best[(c, v)]:.0f}" if (c, v) in best else "–"
        row = [f"{algorithm}-resnet-50", size, stride[2:], f"{g:.1f}"] + [cell(v) for v in seg] + [cell(v) for v in ref]
        b = best.get((c, "bf16-blocked")) or best.get((c, "bf16"))  # the default bf16 layout
        q = best.get((c, "int8"))
        tb = best.get((c, "torch-bf16-autocast"))
        tq = best.get((c, "torch-int8-fx"))
        f = best.get((c, "fp32"))
        row.append(f"{g / b * 1e3:.0f}" if b else "–")
        row.append(f"{g / q * 1e3:.0f}" if q else "–")
        row.append(f"{tb / b:.2f}x" if b and tb else "–")
        row.append(f"{tq / q:.2f}x" if q and tq else "–")
        fastest = min(x for x in (b, q) if x) if (b or q) else None
        row.append(f"{f / fastest:.2f}x" if f and fastest else "–")
        print("| " + " | ".join(row) + " |")
    if cpu:
        cpu_table(cpu, configs)


def cpu_table(cpu, configs):
    seg = [v for v in SEG if any((c, v) in cpu for c in configs)]
    ref = [v for v in REF if any((c, v) in cpu for c in configs)]
    print("\nProcess CPU time per forward (ms, all threads, best of; less sensitive to other load than wall time):\n")
    head = ["model", "size", "OS"] + [f"segmaker {v}" for v in seg] + ref + ["int8 vs torch int8", "bf16 vs torch bf16"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for c in configs:
        algorithm, size, stride = c.split("/")
        cell = lambda v: f"{cpu[(c, v)]:.0f}" if (c, v) in cpu else "–"
        row = [f"{algorithm}-resnet-50", size, stride[2:]] + [cell(v) for v in seg] + [cell(v) for v in ref]
        q, tq = cpu.get((c, "int8")), cpu.get((c, "torch-int8-fx"))
        b, tb = cpu.get((c, "bf16-blocked")) or cpu.get((c, "bf16")), cpu.get((c, "torch-bf16-autocast"))
        row.append(f"{tq / q:.2f}x" if q and tq else "–")
        row.append(f"{tb / b:.2f}x" if b and tb else "–")
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main(sys.argv[1])
