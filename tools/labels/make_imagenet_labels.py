#!/usr/bin/env python3
"""Writes the ImageNet label file shipped with the CLI: "<synset id> <class name>", one line per
class in class-index order. Synset ids: the 1000 ILSVRC-2012 classes (imagenet_synset_ids.txt,
sorted, as in Caffe's synset_words.txt); names: torchvision's _IMAGENET_CATEGORIES (BSD-3-Clause).

    /usr/bin/python3 tools/labels/make_imagenet_labels.py > xgradcam-cli/src/main/resources/org/xgradcam/cli/labels/imagenet.txt
"""
import os

from torchvision.models._meta import _IMAGENET_CATEGORIES

ids = open(os.path.join(os.path.dirname(__file__), "imagenet_synset_ids.txt")).read().split()
assert len(ids) == len(_IMAGENET_CATEGORIES) == 1000
for i, name in zip(ids, _IMAGENET_CATEGORIES):
    print(f"{i} {name}")
