"""
Checkpoints, resuming and saving a trained network
==================================================

A long training on a shared GPU gets killed: a time limit, a pre-empted job,
a Ctrl-C. With ``checkpoint_dir`` every torch-backed estimator writes a
checkpoint after each epoch, and calling ``fit`` again resumes where it
stopped, reaching on the CPU the very weights of an uninterrupted run. Then
``save`` and :func:`galaxy_sklearn.load` move the trained network to another
machine as tensors only, with no pickle to trust.

Small settings for a CPU (about 20 seconds); on a GPU raise ``n_samples`` to
20000, ``image_size`` to 64 and ``max_epochs`` to 30.
"""

import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch

from galaxy_sklearn import CNNGalaxyClassifier, load
from galaxy_sklearn.datasets import make_galaxies

X, y = make_galaxies(n_samples=600, image_size=24, random_state=0)
folder = Path(tempfile.mkdtemp())
# on the CPU, where a resumed fit is bit for bit the uninterrupted one; with a
# constant learning rate, so that a resumed fit may ask for more epochs (the
# default cosine schedule spreads its decay over max_epochs, and resumes only
# with the max_epochs it started with)
settings = dict(
    backbone="simple_cnn",
    augmentation="geometric",
    lr_schedule="constant",
    random_state=0,
    device="cpu",
)

# %%
# A run that stops after four of its epochs (here by asking for four; a
# killed job or Ctrl-C leaves the same checkpoint behind).
CNNGalaxyClassifier(max_epochs=4, checkpoint_dir=folder / "run", **settings).fit(X, y)
print(sorted(p.name for p in (folder / "run").iterdir()))

# %%
# The same call with ``max_epochs=10`` resumes after epoch 4. It checks that
# the data and parameters are the ones the checkpoint was made with, and
# refuses (without touching it) a checkpoint of another fit.
resumed = CNNGalaxyClassifier(
    max_epochs=10, checkpoint_dir=folder / "run", **settings
).fit(X, y)
uninterrupted = CNNGalaxyClassifier(max_epochs=10, **settings).fit(X, y)
same = all(
    torch.equal(a, b)
    for a, b in zip(
        resumed.module_.state_dict().values(),
        uninterrupted.module_.state_dict().values(),
    )
)
print(f"resumed weights identical to an uninterrupted run: {same}")

# %%
# The checkpoint holds the random state too (shuffling, augmentation), so the
# two loss curves are one.
fig, ax = plt.subplots(figsize=(6, 3.5))
epochs = np.arange(1, 11)
ax.plot(
    epochs,
    uninterrupted.history_[:, "train_loss"],
    lw=4,
    alpha=0.4,
    label="uninterrupted",
)
ax.plot(epochs, resumed.history_[:, "train_loss"], "k.--", label="stopped, resumed")
ax.axvline(4.5, color="tab:red", lw=1)
ax.text(4.6, ax.get_ylim()[1], " resumed", color="tab:red", va="top")
ax.set(xlabel="epoch", ylabel="training loss")
ax.legend()
fig.tight_layout()

# %%
# ``save`` writes tensors and plain values; :func:`~galaxy_sklearn.load` reads
# them with ``torch.load(weights_only=True)`` onto any device (a network
# trained on a GPU loads on a laptop) and predicts exactly as before.
resumed.save(folder / "classifier.pt")
loaded = load(folder / "classifier.pt", device="cpu")
print("identical predictions:", np.array_equal(loaded.predict(X), resumed.predict(X)))
