"""
Label efficiency: accuracy against the number of labels
=======================================================

How much does a model need labels? :func:`galaxy_sklearn.compare` trains
several models on one split, at several fractions of the training labels and
several seeds, and writes a table, figures and a report. Featurizers (here
the autoencoder and a pixel PCA) learn from every training image once per
seed; only their logistic regression sees the labels. The handcrafted
morphology + random forest needs no pretraining at all.

The settings are tiny so that this runs in about half a minute on a CPU. On a
GPU run ``galaxy-sklearn compare --max-epochs 50 --n-samples 20000
--image-size 64`` for the whole fast set (supervised CNNs and MoCo included).
"""

import tempfile

import matplotlib.pyplot as plt

from galaxy_sklearn import compare
from galaxy_sklearn.plotting import plot_label_efficiency

output = tempfile.mkdtemp(prefix="galaxy_compare_")
results = compare(
    "synthetic",
    models=["pca", "morphology", "cae"],
    label_fractions=[0.05, 0.2, 1.0],
    seeds=[0, 1],
    n_samples=400,
    image_size=24,
    max_epochs=3,
    output=output,
    verbose=0,
    echo=None,  # the summary table is in output/summary.md
)

# %%
# The table has one row per model, labelled fraction and seed; the report in
# ``output`` has the same numbers averaged over seeds, and every figure.
print(results.groupby(["model", "label_fraction"])["accuracy"].mean().unstack())

# %%
# The same curve as the report's, drawn from the returned table: the line is
# the mean over seeds, the band spans the seeds.
fig = plot_label_efficiency(results)
plt.show()
