"""Diagnostic: fine-tune a MoCo encoder on the 10% subset at the scratch rate.

Pretrains MoCoFeaturizer for N epochs (argument, default 4) on the train+val
images of shared/data/gz2_5class, then fine-tunes resnet18 on the stratified
10% subset (seed 0) with freeze=2, lr=1e-3, geometric augmentation and 60
epochs: the settings of the from-scratch 10% row of real_data.py, so the two
accuracies compare. Prints the val accuracy. Run from the project root:

    python benchmarks/finetune_diagnostic.py 4
"""

import os
import sys
import time

import numpy as np
from sklearn.model_selection import train_test_split

from galaxy_sklearn import CNNGalaxyClassifier, MoCoFeaturizer
from galaxy_sklearn.datasets import load_galaxy_zoo2

d = os.environ.get("GALAXY_SKLEARN_GZ2", "../shared/data/gz2_5class")
tr = load_galaxy_zoo2(d + "/images", labels_csv=d + "/labels.csv", split="train")
va = load_galaxy_zoo2(d + "/images", labels_csv=d + "/labels.csv", split="val")
X, y, Xv, yv = tr.images, tr.target, va.images, va.target
X10, _, y10, _ = train_test_split(X, y, train_size=0.1, stratify=y, random_state=0)
t = time.perf_counter()
moco = MoCoFeaturizer(
    max_epochs=int(sys.argv[1]) if len(sys.argv) > 1 else 4, random_state=0
).fit(np.concatenate([X, Xv]))
print(f"moco {time.perf_counter() - t:.0f}s", flush=True)
for lr, freeze in [(1e-3, 2)]:
    t = time.perf_counter()
    clf = CNNGalaxyClassifier(
        pretrained=moco,
        freeze=freeze,
        lr=lr,
        augmentation="geometric",
        max_epochs=60,
        random_state=0,
    ).fit(X10, y10)
    seconds = time.perf_counter() - t
    accuracy = clf.score(Xv, yv)
    print(f"finetune lr={lr} freeze={freeze}: val {accuracy:.3f} ({seconds:.0f}s)")
