"""
MoCo features with few labels
=============================

Pretrain a :class:`~galaxy_sklearn.MoCoFeaturizer` on every galaxy (labelled
or not), then fit a logistic regression on the 10% that carry a label. Rows
without a label are marked ``-1``, scikit-learn's semi-supervised convention,
and :class:`~galaxy_sklearn.LabelledOnlyClassifier` keeps them away from the
classifier while the featurizer still learns from them.

The same encoder at random initialisation is the baseline that contrastive
pretraining has to beat. MoCo needs many epochs: with the few CPU seconds
this example allows, on 16 px galaxies, the gain is modest; it grows with more
images, larger images and more epochs.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from galaxy_sklearn import LabelledOnlyClassifier, MoCoFeaturizer
from galaxy_sklearn.datasets import GALAXY_CLASSES, make_galaxies

# On a GPU, raise n_samples to 20000, image_size to 64 and max_epochs to 100.
X, y = make_galaxies(n_samples=900, image_size=16, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=300, stratify=y, random_state=0
)
y_few = y_train.copy()
y_few[np.random.RandomState(0).rand(len(y_few)) > 0.1] = -1  # keep ~10% labels
print(f"{(y_few != -1).sum()} labelled of {len(y_few)} training galaxies")


def few_label_pipeline(**moco_params):
    return make_pipeline(
        MoCoFeaturizer(batch_size=64, random_state=0, **moco_params),
        LabelledOnlyClassifier(
            make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000))
        ),
    )


# lr=1e-12: the same encoder, left at its random initialisation
baseline = few_label_pipeline(max_epochs=1, lr=1e-12).fit(X_train, y_few)
moco = few_label_pipeline(max_epochs=6).fit(X_train, y_few)
scores = {
    "random encoder + LR": baseline.score(X_test, y_test),
    "MoCo + LR": moco.score(X_test, y_test),
}
for name, score in scores.items():
    print(f"{name:>20}: accuracy {score:.3f}")

# %%
# The MoCo embedding of the held-out galaxies, projected on two principal
# components and coloured by their (hidden) class.
embedding = PCA(n_components=2).fit_transform(moco[0].transform(X_test))
fig, (ax_map, ax_bar) = plt.subplots(1, 2, figsize=(11, 4.5))
for label, name in enumerate(GALAXY_CLASSES):
    points = embedding[y_test == label]
    ax_map.scatter(points[:, 0], points[:, 1], s=8, label=name)
ax_map.set(title="MoCo embedding (PCA)", xlabel="PC 1", ylabel="PC 2")
ax_map.legend(fontsize=8)
ax_bar.bar(list(scores), list(scores.values()), color=["grey", "tab:blue"])
ax_bar.axhline(1 / len(GALAXY_CLASSES), color="k", ls=":", label="chance")
ax_bar.set(ylabel="held-out accuracy", ylim=(0, 1), title="10% of the labels")
ax_bar.legend()
fig.tight_layout()
plt.show()
