"""The models that :func:`compare` trains, by name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ..classifiers import CNNGalaxyClassifier
from ..featurizers import CAEFeaturizer, MoCoFeaturizer
from ..morphology import MorphologyFeatures


@dataclass(frozen=True)
class ZooSettings:
    """What every model of a comparison shares."""

    max_epochs: int
    batch_size: int
    device: str
    moco_backbone: str = "resnet18"


@dataclass(frozen=True)
class ModelSpec:
    """How to build one model of the zoo.

    A model with a ``featurizer`` learns it once per seed from every training
    image (labelled or not) and trains ``classifier`` on the features of the
    labelled rows; one without trains ``classifier`` (a CNN) on the labelled
    images. Both builders take ``(settings, seed)``; ``classifier`` also the
    labelled fraction.
    """

    name: str
    label: str
    classifier: Callable[[ZooSettings, int, float], object]
    featurizer: Callable[[ZooSettings, int], object] | None = None
    seeded_features: bool = True
    torch_model: bool = True


def supervised_epochs(settings: ZooSettings, fraction: float) -> int:
    """Epochs of a supervised CNN on ``fraction`` of the labels.

    ``max_epochs`` on all labels; fewer labels get more passes (up to four
    times as many) so that small label sets still get enough steps.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from galaxy_sklearn.evaluation import supervised_epochs
    >>> settings = SimpleNamespace(max_epochs=5)
    >>> [supervised_epochs(settings, f) for f in (1.0, 0.5, 0.01)]
    [5, 10, 20]
    """
    return int(min(np.ceil(settings.max_epochs / fraction), 4 * settings.max_epochs))


def _cnn(backbone):
    def classifier(settings, seed, fraction):
        return CNNGalaxyClassifier(
            backbone,
            max_epochs=supervised_epochs(settings, fraction),
            batch_size=settings.batch_size,
            device=settings.device,
            random_state=seed,
        )

    return classifier


def _linear_probe(settings, seed, fraction):
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000))


def _forest(settings, seed, fraction):
    return RandomForestClassifier(n_estimators=500, n_jobs=-1, random_state=seed)


def _flatten(X):
    X = np.asarray(X)
    scale = 1 / 255 if X.dtype == np.uint8 else 1.0
    return X.reshape(len(X), -1).astype(np.float32) * scale


class _PixelPCA(TransformerMixin, BaseEstimator):
    """The first principal components of the raw pixels (uint8 read as 0-1).

    ``n_components`` is capped by the number of images and pixels, so the
    floor also runs on tiny sets.
    """

    def __init__(self, n_components=50, random_state=None):
        self.n_components = n_components
        self.random_state = random_state

    def fit(self, X, y=None):
        pixels = _flatten(X)
        n_components = min(self.n_components, *pixels.shape)
        self.pca_ = PCA(n_components, random_state=self.random_state).fit(pixels)
        return self

    def transform(self, X):
        return self.pca_.transform(_flatten(X))


def _pixel_pca(settings, seed):
    return _PixelPCA(50, random_state=seed)


def _cae(settings, seed):
    return CAEFeaturizer(
        latent_dim=64,
        lr=3e-3,
        max_epochs=settings.max_epochs,
        batch_size=settings.batch_size,
        device=settings.device,
        random_state=seed,
    )


def _moco(settings, seed):
    return MoCoFeaturizer(
        settings.moco_backbone,
        max_epochs=settings.max_epochs,
        batch_size=max(settings.batch_size, 64),
        device=settings.device,
        random_state=seed,
    )


def _morphology(settings, seed):
    return MorphologyFeatures()


SUPERVISED_BACKBONES = (
    "simple_cnn",
    "resnet18",
    "resnet50",
    "vgg16",
    "inception_v3",
    "xception",
)

MODELS: dict[str, ModelSpec] = {
    **{
        name: ModelSpec(name, f"CNN {name}", _cnn(name))
        for name in SUPERVISED_BACKBONES
    },
    "cae": ModelSpec("cae", "CAE + LR", _linear_probe, _cae),
    "moco": ModelSpec("moco", "MoCo + LR", _linear_probe, _moco),
    "morphology": ModelSpec(
        "morphology",
        "morphology + RF",
        _forest,
        _morphology,
        seeded_features=False,
        torch_model=False,
    ),
    "pca": ModelSpec(
        "pca", "pixel PCA + LR", _linear_probe, _pixel_pca, torch_model=False
    ),
}

FAST_MODELS = ("simple_cnn", "resnet18", "cae", "moco", "morphology", "pca")


def _has_timm() -> bool:
    import importlib.util

    return importlib.util.find_spec("timm") is not None


def resolve_models(models) -> list[ModelSpec]:
    """``None`` is the fast set, ``"all"`` the whole zoo, else a list of names."""
    if not isinstance(models, (str, type(None))) and len(models) == 1:
        models = models[0] if models[0] in ("fast", "all") else models
    if models is None or models == "fast":
        names = list(FAST_MODELS)
    elif models == "all":
        names = list(MODELS)
        if not _has_timm():
            names.remove("xception")
    else:
        names = [models] if isinstance(models, str) else list(models)
    unknown = [name for name in names if name not in MODELS]
    if unknown:
        raise ValueError(
            f"Unknown models {unknown}; expected names from {list(MODELS)}, 'fast' "
            "or 'all'."
        )
    if not names:
        raise ValueError("models is empty; name at least one model.")
    if "xception" in names and not _has_timm():
        raise ValueError(
            "The xception model needs the timm package: pip install timm (or "
            "galaxy-sklearn[zoo])."
        )
    return [MODELS[name] for name in dict.fromkeys(names)]
