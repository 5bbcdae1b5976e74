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
import torch.nn.functional as F

SIZE = 96
CLASSES = ["circle", "square", "triangle", "star", "cross", "hexagon"]
MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


# Conv/ReLU/max-pool stages down to a 12x12 map (cells of 8 pixels; shapes span 3-5 cells) read by
# an FC head, as VGG16's classifier reads its 7x7 map. 40 channels keep the model under 2 MB.
CFG = [16, "M", 32, "M", 64, "M", 40]
FEATURE_SIZE = SIZE // 8
HIDDEN = 64


class ShapesNet(nn.Module):
    def __init__(self):
        super().__init__()
        cfg = CFG
        layers, c = [], 3
        for v in cfg:
            if v == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers += [nn.Conv2d(c, v, 3, padding=1), nn.ReLU(inplace=True)]
                c = v
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Linear(c * FEATURE_SIZE * FEATURE_SIZE, HIDDEN), nn.ReLU(inplace=True),
                                        nn.Dropout(0.3), nn.Linear(HIDDEN, len(CLASSES)))

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


def pointing_game(model, root, count=500, seed=424242):
    """XGrad-CAM (seed post-processing) peak inside the target shape's box, as DemoModelTest checks."""
    d = os.path.join(root, "pointing")
    x, _ = scenes(root, "pointing", count, seed)
    boxes = {}
    with open(os.path.join(d, "labels.csv")) as f:
        for row in csv.DictReader(f):
            boxes.setdefault(row["file"], []).append([int(row[k]) for k in ("class", "x0", "y0", "x1", "y1")])
    files = sorted(boxes)
    store = {}
    last = [m for m in model.features if isinstance(m, (nn.ReLU, nn.MaxPool2d))][-1]
    def hook(_m, _i, o):
        store["a"] = o
        o.register_hook(lambda g: store.__setitem__("g", g))

    last.register_forward_hook(hook)
    hits = 0
    model.eval()
    for i, f in enumerate(files):
        cls, x0, y0, x1, y1 = boxes[f][i % len(boxes[f])]
        out = model(x[i:i + 1])
        model.zero_grad()
        out[0, cls].backward()
        a, g = store["a"][0].detach().numpy(), store["g"][0].numpy()
        w = (a * g).sum(axis=(1, 2)) / (a.sum(axis=(1, 2)) + 1e-6)
        cam = cv2.resize(np.maximum((w[:, None, None] * a).sum(0), 0).astype(np.float32), (SIZE, SIZE))
        py, px = np.unravel_index(np.argmax(cam), cam.shape)
        hits += x0 <= px < x1 and y0 <= py < y1
    return hits / len(files)


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
    epochs = int(os.environ.get("EPOCHS", "10"))
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
            # random shifts of up to 8 pixels: every class seen at more positions of the 6x6 map,
            # so the FC head's position-specific weights learn where the evidence really is
            dx, dy = torch.randint(-8, 9, (2,)).tolist()
            xb = F.pad(xb, (8, 8, 8, 8), mode="replicate")[:, :, 8 + dy:8 + dy + SIZE, 8 + dx:8 + dx + SIZE]
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
    print(f"pointing game (XGrad-CAM peak in the target's box, 500 held-out scenes): {pointing_game(model, work):.3f}",
          flush=True)
    os.makedirs(out, exist_ok=True)
    model.eval()
    torch.onnx.export(model, xv[:1], os.path.join(out, "shapes.onnx"), opset_version=13, input_names=["input"],
                      output_names=["logits"], dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}})
    print("wrote", os.path.join(out, "shapes.onnx"), os.path.getsize(os.path.join(out, "shapes.onnx")), "bytes")


if __name__ == "__main__":
    main()
