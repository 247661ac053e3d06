#!/usr/bin/python3
"""Independent reader of segmaker's RecordIO-protobuf answer (Debian's python3-protobuf + numpy + PIL).

usage: check_recordio_answer.py PROTO_DIR ANSWER.out MASK.png
Compiles aialgs_data.proto with `protoc --python_out` into a temporary folder, unframes the RecordIO
stream by hand (magic, (cflag << 29) | length, payload, padding), parses the Record, and checks that
features["target"] holds [1, C, H, W] probabilities that sum to 1 per pixel and whose argmax equals the
PNG mask. Prints one JSON line with what it found; exits 1 on any mismatch.
"""
import importlib
import io
import json
import struct
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image

MAGIC = 0xCED7230A


def unframe(data):
    records, pos = [], 0
    while pos < len(data):
        magic, lrec = struct.unpack_from("<II", data, pos)
        if magic != MAGIC:
            raise ValueError(f"bad magic {magic:#x} at {pos}")
        cflag, length = lrec >> 29, lrec & ((1 << 29) - 1)
        if cflag != 0:
            raise ValueError(f"unexpected split record (cflag {cflag})")
        records.append(data[pos + 8 : pos + 8 + length])
        pos += 8 + ((length + 3) & ~3)
        if pos > len(data):
            raise ValueError("missing padding")
    return records


def main():
    proto_dir, answer_path, mask_path = sys.argv[1:4]
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["protoc", f"--python_out={tmp}", f"-I{proto_dir}", f"{proto_dir}/aialgs_data.proto"], check=True)
        sys.path.insert(0, tmp)
        pb = importlib.import_module("aialgs_data_pb2")
    with open(answer_path, "rb") as f:
        data = f.read()
    records = unframe(data)
    if len(records) != 1:
        raise SystemExit(f"expected 1 record, found {len(records)}")
    record = pb.Record()
    record.ParseFromString(records[0])
    shape = list(record.features["shape"].int32_tensor.values)
    target = record.features["target"].float32_tensor
    probs = np.array(target.values, dtype=np.float32).reshape(shape)
    mask = np.array(Image.open(io.BytesIO(open(mask_path, "rb").read())))
    argmax = probs[0].argmax(axis=0)
    sums = probs[0].sum(axis=0)
    result = {
        "shape": shape,
        "target_shape": list(target.shape),
        "mask_shape": list(mask.shape),
        "mask_mode": Image.open(mask_path).mode,
        "argmax_equal_fraction": float((argmax == mask).mean()) if argmax.shape == mask.shape else 0.0,
        "max_sum_error": float(np.abs(sums - 1).max()),
        "min_prob": float(probs.min()),
    }
    print(json.dumps(result))
    ok = (
        len(shape) == 4 and shape[0] == 1 and list(target.shape) == shape
        and list(mask.shape) == shape[2:]
        and result["argmax_equal_fraction"] == 1.0 and result["max_sum_error"] < 1e-4 and result["min_prob"] >= 0
    )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
