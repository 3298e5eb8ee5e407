"""
Choosing a featurizer with GridSearchCV
=======================================

Featurizers are ordinary scikit-learn transformers, so a Pipeline step can
hold any of them and :class:`~sklearn.model_selection.GridSearchCV` can choose
between them, together with the classifier and its parameters, by
cross-validation. Here: the convolutional autoencoder, the handcrafted
morphology and raw-pixel PCA, each followed by a logistic regression or a
random forest.

Small settings for a CPU (about 30 seconds); on a GPU add
``MoCoFeaturizer("resnet18")`` to the grid and raise the sizes.
"""

import matplotlib.pyplot as plt
import pandas as pd
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from galaxy_sklearn import CAEFeaturizer, MorphologyFeatures
from galaxy_sklearn.datasets import make_galaxies

X, y = make_galaxies(n_samples=600, image_size=24, random_state=0)


def flatten(images):
    return images.reshape(len(images), -1) / 255.0


pipeline = Pipeline(
    [
        ("featurizer", "passthrough"),
        # morphology leaves NaN where a statistic is undefined
        ("impute", SimpleImputer(strategy="median")),
        ("scale", StandardScaler()),
        ("classifier", LogisticRegression(max_iter=2000)),
    ]
)
featurizers = [
    CAEFeaturizer(latent_dim=32, max_epochs=4, lr=3e-3, random_state=0),
    MorphologyFeatures(),
    make_pipeline(FunctionTransformer(flatten), PCA(30, random_state=0)),
]
search = GridSearchCV(
    pipeline,
    param_grid=[
        {
            "featurizer": featurizers,
            "classifier": [LogisticRegression(max_iter=2000)],
            "classifier__C": [0.1, 1.0],
        },
        {
            "featurizer": featurizers,
            "classifier": [RandomForestClassifier(200, random_state=0)],
        },
    ],
    cv=3,
    scoring="accuracy",
)
search.fit(X, y)
print(f"best: {search.best_params_['featurizer']!r}")
print(f"      {search.best_params_['classifier']!r}, accuracy {search.best_score_:.3f}")

# %%
# Mean cross-validated accuracy of every combination.
results = pd.DataFrame(search.cv_results_)
results["featurizer"] = results["param_featurizer"].map(
    lambda f: type(f).__name__ if not isinstance(f, Pipeline) else "pixel PCA"
)
results["classifier"] = [
    f"{type(c).__name__}(C={C})" if C == C else type(c).__name__
    for c, C in zip(results["param_classifier"], results["param_classifier__C"])
]
table = results.pivot_table(
    index="featurizer", columns="classifier", values="mean_test_score"
)
print(table.round(3).to_string())
ax = table.plot.barh(figsize=(7, 3.5))
ax.set_xlabel("cross-validated accuracy")
ax.figure.tight_layout()
plt.show()
