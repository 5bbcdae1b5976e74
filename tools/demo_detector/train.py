#!/usr/bin/env python3
"""Trains xgradcam's embedded demo detector: a small YOLO-style network (conv backbone, a two-level
neck, an anchor-free dense head) that finds the coloured shapes of the scene generator
(org.xgradcam.scenes.Scenes) and names them. Exported without NMS as YOLOv8 exports its heads,
[1, 4+K, N]: per cell of the 12x12 grid (stride 8) the box (cx, cy, w, h in input pixels), then
the K class probabilities; xgradcam thresholds and runs NMS itself.

    mvn -q -pl xgradcam-core compile
    /usr/bin/python3 tools/demo_detector/train.py xgradcam-core/src/main/resources/org/xgradcam/models/demo

Training: a cell is a positive of a shape when its centre lies in the middle half of the shape's
box (a few cells per shape); class targets by binary cross-entropy on every cell, box distances
(left, top, right, bottom, in strides) by L1 + IoU loss on the positives. Prints the held-out
mAP@0.5 and, per detection, the pointing game of XGrad-CAM (its peak inside the detection's box)
on 500 held-out scenes; writes shapes-detector.onnx (opset 13).
"""
import os
import sys

import cv2
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "demo_model"))
from train import CLASSES, SIZE, scenes  # noqa: E402  (the classifier's scene loader)

STRIDE = 8
GRID = SIZE // STRIDE
K = len(CLASSES)


def block(i, o):
    return nn.Sequential(nn.Conv2d(i, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU(inplace=True))


class ShapesDetector(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(block(3, 16), nn.MaxPool2d(2), block(16, 32), nn.MaxPool2d(2), block(32, 64),
                                      nn.MaxPool2d(2), block(64, 64))           # stride 8: 12x12
        self.down = nn.Sequential(nn.MaxPool2d(2), block(64, 96))             # stride 16: 6x6, more context
        self.lateral = nn.Conv2d(96, 64, 1)
        self.neck = block(64, 64)                                             # the map the head reads
        self.head = nn.Sequential(block(64, 64), nn.Conv2d(64, 4 + K, 1))

    def raw(self, x):
        c3 = self.backbone(x)
        c4 = self.down(c3)
        p3 = self.neck(c3 + F.interpolate(self.lateral(c4), scale_factor=2, mode="nearest"))
        return self.head(p3)  # [N, 4+K, 12, 12]: distances (log), class logits

    def forward(self, x):
        r = self.raw(x)
        n = r.shape[0]
        ltrb = torch.exp(r[:, :4].clamp(max=4)) * STRIDE                      # pixels
        ys, xs = torch.meshgrid(torch.arange(GRID), torch.arange(GRID), indexing="ij")
        cx = (xs.float() + 0.5) * STRIDE
        cy = (ys.float() + 0.5) * STRIDE
        x0, y0, x1, y1 = cx - ltrb[:, 0], cy - ltrb[:, 1], cx + ltrb[:, 2], cy + ltrb[:, 3]
        box = torch.stack([(x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0], 1)
        return torch.cat([box, torch.sigmoid(r[:, 4:])], 1).reshape(n, 4 + K, GRID * GRID)


def targets(boxes, flipped):
    """Per cell: class targets [N, K, G, G], distance targets [N, 4, G, G] and a positive mask."""
    n = boxes.shape[0]
    cls = torch.zeros(n, K, GRID, GRID)
    dist = torch.zeros(n, 4, GRID, GRID)
    pos = torch.zeros(n, GRID, GRID, dtype=torch.bool)
    centre = (torch.arange(GRID, dtype=torch.float32) + 0.5) * STRIDE
    for j in range(boxes.shape[1]):
        c, x0, y0, x1, y1 = boxes[:, j].unbind(1)
        if flipped:
            x0, x1 = SIZE - x1, SIZE - x0
        mx, my = 0.25 * (x1 - x0), 0.25 * (y1 - y0)
        inx = (centre >= (x0 + mx)[:, None]) & (centre <= (x1 - mx)[:, None])
        iny = (centre >= (y0 + my)[:, None]) & (centre <= (y1 - my)[:, None])
        inside = iny[:, :, None] & inx[:, None, :]                            # [N, G, G]
        onehot = F.one_hot(c.long(), K).float()[:, :, None, None]
        cls = torch.maximum(cls, onehot * inside[:, None].float())
        d = torch.stack(torch.broadcast_tensors(centre[None, None, :] - x0[:, None, None],
                                                centre[None, :, None] - y0[:, None, None],
                                                x1[:, None, None] - centre[None, None, :],
                                                y1[:, None, None] - centre[None, :, None]), 1)  # [N, 4, G, G]
        dist = torch.where(inside[:, None], d, dist)
        pos |= inside
    return cls, dist, pos


def iou_ltrb(a, b):
    """IoU of boxes given as distances from the same point."""
    area_a = (a[:, 0] + a[:, 2]) * (a[:, 1] + a[:, 3])
    area_b = (b[:, 0] + b[:, 2]) * (b[:, 1] + b[:, 3])
    w = torch.minimum(a[:, 0], b[:, 0]) + torch.minimum(a[:, 2], b[:, 2])
    h = torch.minimum(a[:, 1], b[:, 1]) + torch.minimum(a[:, 3], b[:, 3])
    inter = w.clamp(min=0) * h.clamp(min=0)
    return inter / (area_a + area_b - inter + 1e-6)


def train(model, xt, bt, epochs):
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=epochs * (len(xt) // 64 + 1))
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(len(xt))
        total = 0.0
        for i in range(0, len(xt), 64):
            idx = perm[i:i + 64]
            xb = xt[idx]
            flipped = torch.rand(1).item() < 0.5
            if flipped:
                xb = xb.flip(3)
            cls, dist, pos = targets(bt[idx], flipped)
            r = model.raw(xb)
            loss = F.binary_cross_entropy_with_logits(r[:, 4:], cls, reduction="sum") / max(1, pos.sum().item())
            if pos.any():
                pred = torch.exp(r[:, :4].clamp(max=4)).permute(0, 2, 3, 1)[pos]
                true = (dist / STRIDE).permute(0, 2, 3, 1)[pos]
                loss = loss + F.l1_loss(pred, true) + (1 - iou_ltrb(pred, true)).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        print(f"epoch {epoch}: loss {total / len(xt):.4f}", flush=True)


def detect(out, threshold=0.25, iou=0.45):
    """[4+K, N] -> list of (class, score, x0, y0, x1, y1) after class-aware NMS."""
    import torchvision
    box, prob = out[:4], out[4:]
    score, cls = prob.max(0)
    keep = score > threshold
    b = box[:, keep].T
    xyxy = torch.stack([b[:, 0] - b[:, 2] / 2, b[:, 1] - b[:, 3] / 2, b[:, 0] + b[:, 2] / 2, b[:, 1] + b[:, 3] / 2], 1)
    k = torchvision.ops.batched_nms(xyxy, score[keep], cls[keep], iou)
    return [(int(cls[keep][i]), float(score[keep][i]), *xyxy[i].tolist()) for i in k], keep.nonzero()[:, 0][k]


def box_iou(a, b):
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter + 1e-9)


def evaluate(model, x, b):
    """mAP@0.5 (VOC-style all-point AP per class, averaged) and XGrad-CAM's pointing game per detection."""
    model.eval()
    preds = {c: [] for c in range(K)}
    gts = {c: 0 for c in range(K)}
    store = {}

    def hook(_m, _i, o):
        store["a"] = o
        o.register_hook(lambda g: store.__setitem__("g", g))

    handle = model.neck.register_forward_hook(hook)
    hits = shots = 0
    for i in range(len(x)):
        truth = {tuple(t.tolist()) for t in b[i]}
        for t in truth:
            gts[int(t[0])] += 1
        out = model(x[i:i + 1])[0]
        dets, anchors = detect(out.detach())
        matched = set()
        for (c, s, *box), anchor in zip(dets, anchors.tolist()):
            best, bi = 0, None
            for t in truth:
                if int(t[0]) == c and t not in matched and box_iou(box, t[1:]) > best:
                    best, bi = box_iou(box, t[1:]), t
            tp = best >= 0.5
            if tp:
                matched.add(bi)
            preds[c].append((s, tp))
            # XGrad-CAM of this detection's class score at its anchor, at the neck's map
            model.zero_grad()
            out[4 + c, anchor].backward(retain_graph=True)
            a, g = store["a"][0].detach().numpy(), store["g"][0].numpy()
            w = (a * g).sum(axis=(1, 2)) / (a.sum(axis=(1, 2)) + 1e-7)
            cam = cv2.resize(np.maximum((w[:, None, None] * a).sum(0), 0).astype(np.float32), (SIZE, SIZE))
            py, px = np.unravel_index(np.argmax(cam), cam.shape)
            hits += box[0] <= px < box[2] and box[1] <= py < box[3]
            shots += 1
    handle.remove()
    aps = []
    for c in range(K):
        p = sorted(preds[c], key=lambda t: -t[0])
        tp = np.cumsum([t[1] for t in p])
        fp = np.cumsum([not t[1] for t in p])
        recall = tp / max(1, gts[c])
        precision = tp / np.maximum(1, tp + fp)
        mrec = np.concatenate([[0], recall, [1]])
        mpre = np.concatenate([[0], precision, [0]])
        for k in range(len(mpre) - 2, -1, -1):
            mpre[k] = max(mpre[k], mpre[k + 1])
        aps.append(float(np.sum((mrec[1:] - mrec[:-1]) * mpre[1:])))
    return float(np.mean(aps)), hits / max(1, shots), shots


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "xgradcam-core/src/main/resources/org/xgradcam/models/demo"
    work = sys.argv[2] if len(sys.argv) > 2 else "/tmp/xgradcam-shapes"
    epochs = int(sys.argv[3]) if len(sys.argv) > 3 else 12
    torch.manual_seed(0)
    torch.set_num_threads(2)
    xt, _, bt = scenes(work, "train", 16000, 1)
    model = ShapesDetector()
    train(model, xt, bt, epochs)
    xh, _, bh = scenes(work, "pointing", 500, 424242)
    m_ap, pointing, shots = evaluate(model, xh, bh)
    print(f"held-out (500 scenes): mAP@0.5 {m_ap:.3f}; pointing game of XGrad-CAM over {shots} detections: {pointing:.3f}",
          flush=True)
    os.makedirs(out, exist_ok=True)
    model.eval()
    path = os.path.join(out, "shapes-detector.onnx")
    torch.onnx.export(model, torch.zeros(1, 3, SIZE, SIZE), path, opset_version=13, input_names=["input"],
                      output_names=["detections"], dynamic_axes={"input": {0: "N"}, "detections": {0: "N"}})
    print(f"wrote {path} {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
