#!/usr/bin/env python3
"""Trains xgradcam's embedded demo model: a small VGG-style CNN (conv/ReLU/max-pool features, an
FC head, as the original tool's VGG16) that recognises coloured shapes on textured backgrounds.

Scenes come from the Java generator (org.xgradcam.scenes.Scenes), so the training data and the
test/metric scenes are one distribution:
    mvn -q -pl xgradcam-core compile
    /usr/bin/python3 tools/demo_model/train.py xgradcam-core/src/main/resources/org/xgradcam/models/demo
Multi-label (a scene holds one or two shapes), binary cross-entropy, Adam, in two stages: a plain
classifier, then its conv features under a 1x1 "parts" layer (PARTS channels per class) whose
cells are also taught, from the scenes' boxes, which shapes cover them (a training-only loss on
the layer itself; the exported graph is conv/ReLU/max-pool + FC only). Without that second stage
XGrad-CAM's peak fell inside the target's box in 81% of held-out scenes, often on the shape's rim
or on the other shape; with it the layer's channels are class-specific and sit on the shapes.
Writes shapes.onnx (opset 13, batch axis free); prints held-out accuracy and the pointing game.
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


# Conv/ReLU/max-pool stages down to a 12x12 map (cells of 8 pixels; shapes span 3-5 cells), then a
# 1x1 layer of PARTS channels per class, read by an FC head as VGG16's classifier reads its 7x7 map.
CFG = [16, "M", 32, "M", 64, "M", 40]
FEATURE_SIZE = SIZE // 8
PARTS = 4
HIDDEN = 64


class ShapesNet(nn.Module):
    """parts=False: the first stage, whose FC head reads the 40-channel map directly."""

    def __init__(self, parts=True):
        super().__init__()
        layers, c = [], 3
        for v in CFG:
            if v == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers += [nn.Conv2d(c, v, 3, padding=1), nn.ReLU(inplace=True)]
                c = v
        if parts:
            layers += [nn.Conv2d(c, PARTS * len(CLASSES), 1), nn.ReLU(inplace=True)]
            c = PARTS * len(CLASSES)
        self.parts = parts
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Linear(c * FEATURE_SIZE * FEATURE_SIZE, HIDDEN), nn.ReLU(inplace=True),
                                        nn.Dropout(0.3), nn.Linear(HIDDEN, len(CLASSES)))

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))

    def forward_with_cells(self, x):
        """Logits and, per class, the largest pre-activation of its parts in each cell: the
        logits of 'this cell lies on a shape of this class', which the second stage supervises."""
        z = self.features[:-1](x)
        cells = z.view(z.shape[0], len(CLASSES), PARTS, *z.shape[2:]).amax(2)
        return self.classifier(torch.flatten(F.relu(z), 1)), cells


def scenes(root, name, count, seed):
    d = os.path.join(root, name)
    if not os.path.exists(os.path.join(d, "labels.csv")):
        cp = glob.glob(os.path.expanduser("~/.m2/repository/com/google/protobuf/protobuf-java/*/*.jar"))
        subprocess.run(["java", "-cp", ":".join(["xgradcam-core/target/classes"] + cp),
                        "org.xgradcam.scenes.SceneDatasetWriter", d, str(count), str(seed), str(SIZE), "0.5"], check=True)
    labels, boxes = {}, {}
    with open(os.path.join(d, "labels.csv")) as f:
        for row in csv.DictReader(f):
            labels.setdefault(row["file"], np.zeros(len(CLASSES), np.float32))[int(row["class"])] = 1
            boxes.setdefault(row["file"], []).append([float(row[k]) for k in ("class", "x0", "y0", "x1", "y1")])
    files = sorted(labels)
    x = np.stack([cv2.imread(os.path.join(d, f))[:, :, ::-1] for f in files]).astype(np.float32) / 255
    x = ((x - MEAN) / STD).transpose(0, 3, 1, 2)
    # boxes as [N, 2, 5] (class, x0, y0, x1, y1); a one-shape scene repeats its shape
    b = np.array([(boxes[f] * 2)[:2] for f in files], np.float32)
    return (torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(np.stack([labels[f] for f in files])),
            torch.from_numpy(b))


def cell_targets(boxes, flipped, dx, dy):
    """[N, classes, cells, cells]: 1 where a cell's centre lies in the middle 60% of a shape's box,
    with the boxes moved as the batch's flip and shift moved the pixels."""
    x0, y0, x1, y1 = boxes[..., 1], boxes[..., 2], boxes[..., 3], boxes[..., 4]
    if flipped:
        x0, x1 = SIZE - x1, SIZE - x0
    x0, x1, y0, y1 = x0 - dx, x1 - dx, y0 - dy, y1 - dy
    mx, my = 0.2 * (x1 - x0), 0.2 * (y1 - y0)
    centre = torch.arange(FEATURE_SIZE, dtype=torch.float32) * (SIZE / FEATURE_SIZE) + (SIZE / FEATURE_SIZE - 1) / 2
    inx = (centre >= (x0 + mx)[..., None]) & (centre <= (x1 - mx)[..., None])  # [N, 2, cells]
    iny = (centre >= (y0 + my)[..., None]) & (centre <= (y1 - my)[..., None])
    inside = (iny[..., :, None] & inx[..., None, :]).float()  # [N, 2, cells, cells]
    onehot = F.one_hot(boxes[..., 0].long(), len(CLASSES)).float()  # [N, 2, classes]
    return torch.einsum("nbc,nbhw->nchw", onehot, inside).clamp(max=1)


def pointing_game(model, root, count=500, seed=424242):
    """XGrad-CAM (seed post-processing) peak inside the target shape's box, as DemoModelTest checks."""
    d = os.path.join(root, "pointing")
    x = scenes(root, "pointing", count, seed)[0]
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

    handle = last.register_forward_hook(hook)
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
    handle.remove()
    return hits / len(files)


def train(model, xt, yt, bt, xv, yv, epochs, max_lr, cell_weight):
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    loss_fn = nn.BCEWithLogitsLoss()
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=max_lr, total_steps=epochs * (len(xt) // 64 + 1))
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(len(xt))
        total = total_cells = 0.0
        for i in range(0, len(xt), 64):
            idx = perm[i:i + 64]
            xb = xt[idx]
            flipped = torch.rand(1).item() < 0.5
            if flipped:
                xb = xb.flip(3)
            # random shifts of up to 8 pixels: every class seen at more positions of the 12x12 map,
            # so the FC head's position-specific weights learn where the evidence really is
            dx, dy = torch.randint(-8, 9, (2,)).tolist()
            xb = F.pad(xb, (8, 8, 8, 8), mode="replicate")[:, :, 8 + dy:8 + dy + SIZE, 8 + dx:8 + dx + SIZE]
            opt.zero_grad()
            if model.parts:
                logits, cells = model.forward_with_cells(xb)
                cell_loss = loss_fn(cells, cell_targets(bt[idx], flipped, dx, dy))
            else:
                logits, cell_loss = model(xb), torch.zeros(())
            loss = loss_fn(logits, yt[idx]) + cell_weight * cell_loss
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
            total_cells += cell_loss.item() * len(idx)
        model.eval()
        with torch.no_grad():
            pv = model(xv) > 0
        exact = (pv == (yv > 0.5)).all(1).float().mean().item()
        print(f"epoch {epoch}: loss {total / len(xt):.4f} (cells {total_cells / len(xt):.4f}), "
              f"held-out exact-match accuracy {exact:.3f}", flush=True)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "xgradcam-core/src/main/resources/org/xgradcam/models/demo"
    work = sys.argv[2] if len(sys.argv) > 2 else "/tmp/xgradcam-shapes"
    torch.manual_seed(0)
    torch.set_num_threads(2)
    xt, yt, bt = scenes(work, "train", 16000, 1)
    xv, yv, _ = scenes(work, "val", 1000, 2)
    # Stage 1: a plain classifier (conv features, FC head on the 40-channel map).
    first = ShapesNet(parts=False)
    train(first, xt, yt, bt, xv, yv, epochs=10, max_lr=3e-3, cell_weight=0)
    print(f"stage 1 pointing game: {pointing_game(first, work):.3f}", flush=True)
    # Stage 2: its conv features, a new 1x1 parts layer and a new head. Each cell's parts are asked
    # which shapes cover it; trained from scratch this way the classifier learns slowly and its
    # maps drift off the shapes, so the parts come after a classifier that already works.
    model = ShapesNet(parts=True)
    model.features.load_state_dict(first.features.state_dict(), strict=False)
    train(model, xt, yt, bt, xv, yv, epochs=5, max_lr=2e-3, cell_weight=1.0)
    print(f"pointing game (XGrad-CAM peak in the target's box, 500 held-out scenes): {pointing_game(model, work):.3f}",
          flush=True)
    os.makedirs(out, exist_ok=True)
    model.eval()
    torch.onnx.export(model, xv[:1], os.path.join(out, "shapes.onnx"), opset_version=13, input_names=["input"],
                      output_names=["logits"], dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}})
    print("wrote", os.path.join(out, "shapes.onnx"), os.path.getsize(os.path.join(out, "shapes.onnx")), "bytes")


if __name__ == "__main__":
    main()
