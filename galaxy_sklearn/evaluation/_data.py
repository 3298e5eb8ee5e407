"""The one train/test split that every model of a comparison sees."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split

from .._validation import check_images
from ..datasets import GALAXY_CLASSES, load_galaxy10, load_galaxy_zoo2, make_galaxies


@dataclass
class ComparisonData:
    """Training and test images with labels, and where they came from.

    What :func:`load_comparison_data` returns: ``names`` are the display
    names of integer labels (None for arrays), ``fingerprint`` what a resumed
    comparison must share.

    Examples
    --------
    >>> from galaxy_sklearn.evaluation import load_comparison_data
    >>> data = load_comparison_data("synthetic", n_samples=40, image_size=16)
    >>> type(data).__name__, data.X_train.shape, len(data.y_test)
    ('ComparisonData', (40, 16, 16, 3), 10)
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    names: list | None
    description: str
    fingerprint: dict = field(default_factory=dict)


def _subsample(X, y, n, seed):
    """At most ``n`` rows, stratified by ``y``."""
    if n is None or n >= len(y):
        return X, y
    keep, _ = train_test_split(
        np.arange(len(y)), train_size=n, stratify=y, random_state=seed
    )
    keep = np.sort(keep)
    return X[keep], y[keep]


def _split(X, y, test_size, seed):
    return train_test_split(X, y, test_size=test_size, stratify=y, random_state=seed)


def _galaxy_zoo2(folder: Path, image_size):
    images = next(
        (
            folder / d
            for d in ("images", "images_training_rev1")
            if (folder / d).is_dir()
        ),
        None,
    )
    labels = folder / "labels.csv"
    solutions = folder / "training_solutions_rev1.csv"
    if images is None or not (labels.is_file() or solutions.is_file()):
        raise FileNotFoundError(
            f"{os.fspath(folder)!r} is not a Galaxy Zoo 2 folder: expected images/ "
            "(or images_training_rev1/) and labels.csv (or "
            "training_solutions_rev1.csv)."
        )
    if labels.is_file():
        bunch = load_galaxy_zoo2(images, labels_csv=labels, image_size=image_size)
    else:
        bunch = load_galaxy_zoo2(images, solutions_csv=solutions, image_size=image_size)
    keep = bunch.target != -1
    splits = None
    if bunch.frame is not None and "split" in bunch.frame.columns:
        splits = bunch.frame["split"].to_numpy()[keep]
    return bunch.images[keep], bunch.target[keep], list(bunch.target_names), splits


def _galaxy10(path: Path, image_size, n_samples, seed):
    variants = {"Galaxy10.h5": "sdss", "Galaxy10_DECals.h5": "decals"}
    if path.name not in variants:
        raise ValueError(
            f"A Galaxy10 file must keep its official name ({sorted(variants)}), got "
            f"{path.name!r}."
        )
    import h5py

    with h5py.File(path, "r") as h5:
        n = len(h5["ans"])
    indices = None
    if n_samples is not None and n_samples < n:
        # a random subset, sorted so that HDF5 reads it in order
        indices = np.sort(np.random.default_rng(seed).choice(n, n_samples, False))
    bunch = load_galaxy10(
        variants[path.name],
        data_home=path.parent,
        indices=indices,
        image_size=image_size,
    )
    return bunch.images, bunch.target, list(bunch.target_names)


def load_comparison_data(
    data, *, image_size=None, n_samples=None, test_size=0.2, random_state=0
) -> ComparisonData:
    """Resolve the ``data`` argument of :func:`compare` into one fixed split.

    ``"synthetic"``: :func:`~galaxy_sklearn.datasets.make_galaxies` (default
    1,200 training and 300 test galaxies at 24 px). A folder: the Galaxy Zoo 2
    layout (its CSV's ``train``/``val`` or ``test`` split when it has one). A
    ``.h5`` file: a Galaxy10 file. ``(X, y)``: split here; ``(X_train,
    y_train, X_test, y_test)``: used as given. ``n_samples`` caps the training rows (a
    stratified subset); real images default to 64 px.

    Examples
    --------
    >>> import numpy as np
    >>> from galaxy_sklearn.evaluation import load_comparison_data
    >>> X, y = np.zeros((20, 8, 8)), np.repeat(["round", "spiral"], 10)
    >>> data = load_comparison_data((X, y), test_size=0.5)
    >>> data.X_train.shape, np.unique(data.y_test).tolist()
    ((10, 8, 8, 1), ['round', 'spiral'])
    """
    seed = random_state
    if isinstance(data, str) and data == "synthetic":
        size = image_size or 24
        n_total = int(np.ceil((n_samples or 1200) / (1 - test_size)))
        X, y = make_galaxies(n_total, size, random_state=seed)
        X_train, X_test, y_train, y_test = _split(X, y, test_size, seed)
        names = list(GALAXY_CLASSES)
        description = f"synthetic galaxies (make_galaxies), {size} px"
        key = "synthetic"
    elif isinstance(data, (str, os.PathLike)):
        path = Path(data)
        if path.is_dir():
            X, y, names, splits = _galaxy_zoo2(path, image_size or 64)
            test_name = next(
                (s for s in ("val", "test") if splits is not None and s in set(splits)),
                None,
            )
            if test_name is not None and "train" in set(splits):
                train, test = splits == "train", splits == test_name
                X_train, y_train, X_test, y_test = X[train], y[train], X[test], y[test]
                description = f"Galaxy Zoo 2 ({path.name}), split train/{test_name}"
            else:
                X_train, X_test, y_train, y_test = _split(X, y, test_size, seed)
                description = f"Galaxy Zoo 2 ({path.name})"
        elif path.suffix == ".h5" and path.is_file():
            # read only as many galaxies as the capped split needs
            n_read = (
                None if n_samples is None else int(np.ceil(n_samples / (1 - test_size)))
            )
            X, y, names = _galaxy10(path, image_size or 64, n_read, seed)
            X_train, X_test, y_train, y_test = _split(X, y, test_size, seed)
            description = f"Galaxy10 ({path.name})"
        else:
            raise FileNotFoundError(
                f"data={os.fspath(path)!r} is neither a Galaxy Zoo 2 folder nor a "
                "Galaxy10 .h5 file; or pass 'synthetic' or (X, y) arrays."
            )
        description += f", {X_train.shape[1]} px"
        key = os.fspath(path.resolve())
    elif isinstance(data, (tuple, list)) and len(data) in (2, 4):
        arrays = [np.asarray(a) for a in data]
        if len(arrays) == 2:
            X_train, X_test, y_train, y_test = _split(*arrays, test_size, seed)
        else:
            X_train, y_train, X_test, y_test = arrays
        X_train = check_images(X_train)
        X_test = check_images(X_test)
        names = None
        description = "arrays"
        digest = hashlib.sha1()
        for array in (X_train, y_train, X_test, y_test):
            digest.update(np.ascontiguousarray(array).tobytes())
        key = f"arrays:{digest.hexdigest()[:16]}"
    else:
        raise ValueError(
            "data must be 'synthetic', a Galaxy Zoo 2 folder, a Galaxy10 .h5 file, "
            f"(X, y) or (X_train, y_train, X_test, y_test); got {type(data).__name__}."
        )
    y_train, y_test = _plain_labels(y_train), _plain_labels(y_test)
    X_train, y_train = _subsample(X_train, y_train, n_samples, seed)
    fingerprint = {
        "data": key,
        "image_shape": list(X_train.shape[1:]),
        "test_size": test_size,
        "random_state": random_state,
        "n_train": int(len(y_train)),
        "n_test": int(len(y_test)),
    }
    return ComparisonData(
        X_train, y_train, X_test, y_test, names, description, fingerprint
    )


def _plain_labels(y) -> np.ndarray:
    """Labels as numbers or fixed-width strings: object arrays (a pandas
    column of names) would need pickle to be stored with the results."""
    y = np.asarray(y)
    if y.dtype.kind == "O":
        y = y.astype(str)
    if y.ndim != 1:
        raise ValueError(f"labels must be one-dimensional, got shape {y.shape}.")
    return y
