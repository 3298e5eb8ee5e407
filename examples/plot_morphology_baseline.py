"""
Classical morphology: the Gini-M20 plane and a random-forest baseline
=====================================================================

:class:`~galaxy_sklearn.MorphologyFeatures` measures the non-parametric
statistics astronomers have trusted for two decades, with statmorph's
definitions: concentration, asymmetry and smoothness (Conselice 2003), Gini
and M20 (Lotz et al. 2004), shape, size and colours. It works on a whole
batch at once, so thousands of galaxies take seconds, and it composes in a
Pipeline like any transformer: ``make_pipeline(MorphologyFeatures(),
RandomForestClassifier())`` is the classical baseline every learned
featurizer should beat.

The galaxies are real SDSS ones from ``shared/data/gz2_5class`` (or the
folder named by ``GALAXY_SKLEARN_GZ2``); without them the example uses the
built-in synthetic galaxies. The statistics are numpy on the CPU, so nothing
changes on a GPU; on a machine with more cores raise the 3,000-galaxy sample
to all of them, since ``MorphologyFeatures`` spreads a batch over ``n_jobs``
threads.
"""

import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split

from galaxy_sklearn import MorphologyFeatures
from galaxy_sklearn.datasets import GALAXY_CLASSES, load_galaxy_zoo2, make_galaxies
from galaxy_sklearn.morphology import MORPHOLOGY_FLAGS


def find_gz2():
    candidates = [os.environ.get("GALAXY_SKLEARN_GZ2")]
    here = Path(__file__ if "__file__" in globals() else ".").resolve()
    candidates += [p / "shared" / "data" / "gz2_5class" for p in here.parents]
    for folder in filter(None, candidates):
        if (Path(folder) / "labels.csv").is_file():
            return Path(folder)
    return None


folder = find_gz2()
if folder is not None:
    X, y = load_galaxy_zoo2(
        folder / "images",
        labels_csv=folder / "labels.csv",
        crop=207,
        image_size=64,
        return_X_y=True,
    )
    # a stratified sample of 3,000 keeps the example to seconds
    X, _, y, _ = train_test_split(X, y, train_size=3000, stratify=y, random_state=0)
    source = f"{len(X)} SDSS galaxies (Galaxy Zoo 2)"
else:
    X, y = make_galaxies(n_samples=3000, image_size=64, random_state=0)
    source = f"{len(X)} synthetic galaxies"
print(source, X.shape)

# %%
# Measure every galaxy. ``flag`` is 0 where every statistic is defined; its
# bits say what went wrong elsewhere (no source, source on the edge, ...),
# and undefined statistics are NaN rather than a guess. On these 207 px crops
# many galaxies' segments reach the frame (``edge``): they are measured, but
# their radii and fluxes are biased low, which the forest can learn to weigh.
features = MorphologyFeatures().fit(X)
names = list(features.get_feature_names_out())
F = features.transform(X)
column = {name: F[:, i] for i, name in enumerate(names)}
flags = column["flag"].astype(int)
print(f"{np.mean(flags == 0):.0%} of galaxies measured without a flag")
for name, bit in MORPHOLOGY_FLAGS.items():
    print(f"  {name:<18} {np.mean(flags & bit > 0):6.1%}")

# %%
# The Gini-M20 plane (Lotz et al. 2004): smooth, concentrated galaxies sit
# at high Gini and low M20, discs at lower Gini. Concentration against
# asymmetry separates the smooth classes from the spirals too.
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.5))
colours = plt.cm.tab10(np.arange(5))
for label, name in enumerate(GALAXY_CLASSES):
    mine = y == label
    style = dict(s=4, alpha=0.5, color=colours[label], label=name)
    left.scatter(column["m20"][mine], column["gini"][mine], **style)
    right.scatter(column["asymmetry"][mine], column["concentration"][mine], **style)
left.set(xlabel="M20", ylabel="Gini", title="Gini-M20")
left.invert_xaxis()
right.set(xlabel="asymmetry A", ylabel="concentration C", title="C-A")
right.set_xlim(np.nanpercentile(column["asymmetry"], [1, 99]))
left.legend(markerscale=4, fontsize=8)
fig.suptitle(source)
fig.tight_layout()

# %%
# The classical baseline: the features, then a random forest, which takes the
# NaN of undefined statistics as missing values. On images this is
# ``make_pipeline(MorphologyFeatures(), RandomForestClassifier())``; here the
# features measured above are reused rather than measured again.
F_train, F_test, y_train, y_test = train_test_split(
    F, y, test_size=0.25, stratify=y, random_state=0
)
forest = RandomForestClassifier(n_estimators=200, n_jobs=-1, random_state=0)
forest.fit(F_train, y_train)
accuracy = accuracy_score(y_test, forest.predict(F_test))
print(f"random forest on morphology: accuracy {accuracy:.3f}")

importance = forest.feature_importances_
order = np.argsort(importance)
plt.figure(figsize=(5, 4.5))
plt.barh(np.array(names)[order], importance[order])
plt.xlabel("random-forest importance")
plt.title("Which statistics separate the classes")
plt.tight_layout()
plt.show()
