#!/usr/bin/env python3
"""The baseline for the time to a first picture: what the original XGrad-CAM.py does for one image
(VGG16 from a saved state dict, forward, gradients at features[30], Grad-CAM and XGrad-CAM maps,
JET overlays written as cam.jpg and X_cam.jpg), timed as a whole fresh process.

    /usr/bin/python3 tools/bench/pytorch_first_picture.py --save /tmp/xgradcam-bench/vgg16.pth   # once
    /usr/bin/time -f %e /usr/bin/python3 tools/bench/pytorch_first_picture.py /tmp/xgradcam-bench/vgg16.pth IMAGE OUT
"""
import sys

import cv2
import numpy as np
import torch
import torchvision

if sys.argv[1] == "--save":
    torch.manual_seed(0)
    torch.save(torchvision.models.vgg16(weights=None).state_dict(), sys.argv[2])
    sys.exit(0)
weights, image, out = sys.argv[1:4]
model = torchvision.models.vgg16(weights=None)
model.load_state_dict(torch.load(weights))
model.eval()
img = cv2.resize(np.float32(cv2.imread(image, 1)) / 255, (224, 224))
x = img[:, :, ::-1].copy()
x = (x - np.array([0.485, 0.456, 0.406])) / np.array([0.229, 0.224, 0.225])
x = torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1))).float().unsqueeze(0).requires_grad_(True)
feats = []


def keep(module, inputs, output):
    feats.append(output)
    output.register_hook(feats.append)


model.features[30].register_forward_hook(keep)
logits = model(x)
c = int(logits.argmax())
logits[0, c].backward()
a, g = feats[0][0].detach().numpy(), feats[1][0].numpy()
for name, w in (("cam.jpg", g.mean(axis=(1, 2))),
                ("X_cam.jpg", (a * g).sum(axis=(1, 2)) / (a.sum(axis=(1, 2)) + 1e-7))):
    cam = np.maximum((w[:, None, None] * a).sum(axis=0), 0)
    cam = cv2.resize(cam, (224, 224))
    cam = (cam - cam.min()) / (cam.max() - cam.min() + 1e-12)
    heat = np.float32(cv2.applyColorMap(np.uint8(255 * cam), cv2.COLORMAP_JET)) / 255
    both = heat + img
    cv2.imwrite(out + "/" + name, np.uint8(255 * both / both.max()))
print("class of interest:", c)
