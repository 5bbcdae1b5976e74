#!/usr/bin/env python3
"""A YOLO-shaped dense detection head on a ResNet-50 backbone (random weights), for timing how
explaining every detection of an image compares with explaining one: input 1x3x640x640, heads at
strides 16 and 32 (2,000 anchors), output [N, 4 + 80, 2000] with sigmoid class scores; exported at
opset 13 with a dynamic batch axis, as the export guide says.

    /usr/bin/python3 tools/bench/export_dense_head.py /tmp/xgradcam-bench
"""
import os
import sys

import torch
import torch.nn as nn
import torchvision


class DenseHead(nn.Module):
    def __init__(self, classes=80):
        super().__init__()
        r = torchvision.models.resnet50()
        self.stem = nn.Sequential(r.conv1, r.bn1, r.relu, r.maxpool, r.layer1, r.layer2, r.layer3)
        self.last = r.layer4
        self.head16 = nn.Conv2d(1024, 4 + classes, 1)
        self.head32 = nn.Conv2d(2048, 4 + classes, 1)

    def forward(self, x):
        c4 = self.stem(x)
        c5 = self.last(c4)
        outs = []
        for h, f in ((self.head16, c4), (self.head32, c5)):
            y = h(f)
            n, c = y.shape[0], y.shape[1]
            y = y.reshape(n, c, -1)
            outs.append(torch.cat([y[:, :4] * 16, y[:, 4:].sigmoid()], 1))
        return torch.cat(outs, 2)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "/tmp/xgradcam-bench"
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    model = DenseHead().eval()
    with torch.no_grad():
        for h in (model.head16, model.head32):
            h.weight.mul_(0.02)  # scores that move with the input (not saturated)
        model.head16.bias[4:] += 1.0  # a few hundred scores above 0.25, as a real head on a busy photo gives
    x = torch.rand(1, 3, 640, 640)
    torch.onnx.export(model, x, os.path.join(out, "dense_head.onnx"), opset_version=13, input_names=["images"],
                      output_names=["output0"], dynamic_axes={"images": {0: "batch"}, "output0": {0: "batch"}})
    print(os.path.join(out, "dense_head.onnx"))


if __name__ == "__main__":
    main()
