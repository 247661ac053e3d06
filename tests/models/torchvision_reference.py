#!/usr/bin/python3
"""Runs a segmaker state dict through the torchvision architecture of the same name.

usage: torchvision_reference.py ALGORITHM BACKBONE OUTPUT_STRIDE NUM_CLASSES IN.pt OUT.pt
IN.pt: {"state": {name: tensor}, "x": input}; OUT.pt: {"out": logits, "aux": aux logits}.
load_state_dict(strict=True) proves that names and shapes map 1:1.
"""
import os
import sys

import torch
import torchvision
from torch.nn import functional as F
from torchvision.models._utils import IntermediateLayerGetter
from torchvision.models.segmentation.deeplabv3 import ASPP, DeepLabV3
from torchvision.models.segmentation.fcn import FCN, FCNHead

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "bench", "python"))
from bench_models import ASPP_RATES, DILATION, PSPHead  # noqa: E402


def build(algorithm, backbone, output_stride, num_classes):
    trunk = getattr(torchvision.models, backbone.replace("-", ""))(
        weights=None, replace_stride_with_dilation=DILATION[output_stride])
    channels = trunk.fc.in_features
    body = IntermediateLayerGetter(trunk, return_layers={"layer4": "out", "layer3": "aux"})
    aux = FCNHead(channels // 2, num_classes)
    if algorithm == "fcn":
        return FCN(body, FCNHead(channels, num_classes), aux)
    if algorithm == "psp":
        return FCN(body, PSPHead(channels, num_classes), aux)
    head = torch.nn.Sequential(ASPP(channels, ASPP_RATES[output_stride]),
                               torch.nn.Conv2d(256, 256, 3, padding=1, bias=False), torch.nn.BatchNorm2d(256),
                               torch.nn.ReLU(), torch.nn.Conv2d(256, num_classes, 1))
    return DeepLabV3(body, head, aux)


def main():
    algorithm, backbone, os_, classes, src, dst = sys.argv[1:]
    data = torch.load(src)
    model = build(algorithm, backbone, int(os_), int(classes)).eval()
    model.load_state_dict(data["state"], strict=True)
    with torch.no_grad():
        y = model(data["x"])
    torch.save({"out": y["out"], "aux": y["aux"]}, dst)


if __name__ == "__main__":
    main()
