#!/usr/bin/env python3
"""Trains xgradcam's embedded demo model: a small VGG-style CNN (conv/ReLU/max-pool features, an
FC head, as the original tool's VGG16) that recognises coloured shapes on textured backgrounds.

Scenes come from the Java generator (org.xgradcam.scenes.Scenes), so the training data and the
test/metric scenes are one distribution:
    mvn -q -pl xgradcam-core compile
    /usr/bin/python3 tools/demo_model/train.py xgradcam-cli/src/main/resources/org/xgradcam/cli/demo
Multi-label (a scene holds one or two shapes), binary cross-entropy, Adam. Writes shapes.onnx
(opset 13, batch axis free) and prints held-out accuracy.
"""
import csv
import glob
import os
import subprocess
import sys

import cv2
import numpy as np
import torch
import torch.nn as nn

SIZE = 96
CLASSES = ["circle", "square", "triangle", "star", "cross", "hexagon"]
MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


class ShapesNet(nn.Module):
    def __init__(self):
        super().__init__()
        cfg = [16, "M", 32, "M", 64, "M", 64, "M"]
        layers, c = [], 3
        for v in cfg:
            if v == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers += [nn.Conv2d(c, v, 3, padding=1), nn.ReLU(inplace=True)]
                c = v
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Linear(64 * 6 * 6, 128), nn.ReLU(inplace=True), nn.Dropout(0.3),
                                        nn.Linear(128, len(CLASSES)))

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


def scenes(root, name, count, seed):
    d = os.path.join(root, name)
    if not os.path.exists(os.path.join(d, "labels.csv")):
        cp = glob.glob(os.path.expanduser("~/.m2/repository/com/google/protobuf/protobuf-java/*/*.jar"))
        subprocess.run(["java", "-cp", ":".join(["xgradcam-core/target/classes"] + cp),
                        "org.xgradcam.scenes.SceneDatasetWriter", d, str(count), str(seed), str(SIZE), "0.5"], check=True)
    labels = {}
    with open(os.path.join(d, "labels.csv")) as f:
        for row in csv.DictReader(f):
            labels.setdefault(row["file"], np.zeros(len(CLASSES), np.float32))[int(row["class"])] = 1
    files = sorted(labels)
    x = np.stack([cv2.imread(os.path.join(d, f))[:, :, ::-1] for f in files]).astype(np.float32) / 255
    x = ((x - MEAN) / STD).transpose(0, 3, 1, 2)
    return torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(np.stack([labels[f] for f in files]))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "xgradcam-cli/src/main/resources/org/xgradcam/cli/demo"
    work = sys.argv[2] if len(sys.argv) > 2 else "/tmp/xgradcam-shapes"
    torch.manual_seed(0)
    torch.set_num_threads(2)
    xt, yt = scenes(work, "train", 16000, 1)
    xv, yv = scenes(work, "val", 1000, 2)
    model = ShapesNet()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    loss_fn = nn.BCEWithLogitsLoss()
    epochs = int(os.environ.get("EPOCHS", "8"))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=epochs * (len(xt) // 64 + 1))
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(len(xt))
        total = 0.0
        for i in range(0, len(xt), 64):
            idx = perm[i:i + 64]
            xb = xt[idx]
            if torch.rand(1).item() < 0.5:
                xb = xb.flip(3)
            opt.zero_grad()
            loss = loss_fn(model(xb), yt[idx])
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        model.eval()
        with torch.no_grad():
            pv = model(xv) > 0
        exact = (pv == (yv > 0.5)).all(1).float().mean().item()
        print(f"epoch {epoch}: loss {total / len(xt):.4f}, held-out exact-match accuracy {exact:.3f}", flush=True)
    os.makedirs(out, exist_ok=True)
    model.eval()
    torch.onnx.export(model, xv[:1], os.path.join(out, "shapes.onnx"), opset_version=13, input_names=["input"],
                      output_names=["logits"], dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}})
    print("wrote", os.path.join(out, "shapes.onnx"), os.path.getsize(os.path.join(out, "shapes.onnx")), "bytes")


if __name__ == "__main__":
    main()
