#!/usr/bin/env python3
"""Exports full-size torchvision VGG16, ResNet-50 (opset 13) and ViT-B/16 (opset 17) with random weights for the benchmarks.
The files are large and random: they go to a scratch folder, never into the repository.

    /usr/bin/python3 tools/bench/export_full_models.py /tmp/xgradcam-bench
    java -jar xgradcam-cli/target/xgradcam.jar bench --model /tmp/xgradcam-bench/vgg16.onnx
"""
import os
import sys

import torch
import torchvision

out = sys.argv[1] if len(sys.argv) > 1 else "/tmp/xgradcam-bench"
os.makedirs(out, exist_ok=True)
torch.manual_seed(0)
for name, ctor, opset in [("vgg16", torchvision.models.vgg16, 13), ("resnet50", torchvision.models.resnet50, 13),
                          ("vit_b_16", torchvision.models.vit_b_16, 17)]:
    model = ctor(weights=None).eval()
    path = os.path.join(out, name + ".onnx")
    torch.onnx.export(model, torch.randn(1, 3, 224, 224), path, opset_version=opset, input_names=["input"],
                      output_names=["logits"], dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}})
    print(path, os.path.getsize(path))
