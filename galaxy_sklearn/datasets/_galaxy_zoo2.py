"""Galaxy Zoo 2 in the layout of the Kaggle "Galaxy Challenge" download."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from ..preprocessing._crop import _size_pair
from ._jpeg import read_jpegs
from ._synthetic import GALAXY_CLASSES

#: The 37 vote-fraction columns of ``training_solutions_rev1.csv``, by question.
GZ2_QUESTIONS = {
    1: 3, 2: 2, 3: 2, 4: 2, 5: 4, 6: 2, 7: 3, 8: 7, 9: 3, 10: 3, 11: 6,
}  # fmt: skip
VOTE_COLUMNS = tuple(
    f"Class{question}.{answer}"
    for question, n_answers in GZ2_QUESTIONS.items()
    for answer in range(1, n_answers + 1)
)

# Zhu et al. 2019 (Ap&SS 364, 55), thresholds of Willett et al. 2013, Table 3:
# (label, [(column, minimum fraction), ...]), all conditions must hold.
_ZHU2019_RULES = (
    (0, (("Class1.1", 0.469), ("Class7.1", 0.50))),
    (1, (("Class1.1", 0.469), ("Class7.2", 0.50))),
    (2, (("Class1.1", 0.469), ("Class7.3", 0.50))),
    (3, (("Class1.2", 0.430), ("Class2.1", 0.602))),
    (4, (("Class1.2", 0.430), ("Class2.2", 0.715), ("Class4.1", 0.619))),
)


def _require_columns(frame: pd.DataFrame, columns, what: str) -> None:
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ValueError(
            f"{what} lacks the columns {missing}; it has {list(frame.columns)}."
        )


def gz2_labels(vote_fractions: pd.DataFrame) -> np.ndarray:
    """The five classes of Zhu et al. (2019) from Galaxy Zoo 2 vote fractions.

    A galaxy is labelled when its vote fractions pass the thresholds of
    Willett et al. (2013, Table 3), applied to the Kaggle columns:

    ==================  ===================================================
    label               condition
    ==================  ===================================================
    0 smooth_round      Class1.1 >= 0.469 and Class7.1 >= 0.50
    1 smooth_inbetween  Class1.1 >= 0.469 and Class7.2 >= 0.50
    2 smooth_cigar      Class1.1 >= 0.469 and Class7.3 >= 0.50
    3 edge_on           Class1.2 >= 0.430 and Class2.1 >= 0.602
    4 spiral            Class1.2 >= 0.430 and Class2.2 >= 0.715
                        and Class4.1 >= 0.619
    ==================  ===================================================

    Parameters
    ----------
    vote_fractions : DataFrame
        Columns ``Class1.1``, ``Class1.2``, ``Class2.1``, ``Class2.2``,
        ``Class4.1`` and ``Class7.1`` to ``Class7.3`` at least.

    Returns
    -------
    labels : ndarray of shape (n,), int64
        0 to 4 in the order of :data:`GALAXY_CLASSES`; -1 for a galaxy that
        meets no condition (or, with fractions that are not the Kaggle
        tree-weighted ones, more than one), the unlabelled marker of
        :class:`~galaxy_sklearn.semi_supervised.LabelledOnlyClassifier`.

    Examples
    --------
    >>> import pandas as pd
    >>> from galaxy_sklearn.datasets import gz2_labels
    >>> votes = pd.DataFrame({
    ...     "Class1.1": [0.9, 0.1, 0.5], "Class1.2": [0.1, 0.9, 0.5],
    ...     "Class2.1": [0.0, 0.8, 0.1], "Class2.2": [0.1, 0.1, 0.4],
    ...     "Class4.1": [0.0, 0.0, 0.3], "Class7.1": [0.8, 0.0, 0.2],
    ...     "Class7.2": [0.1, 0.0, 0.2], "Class7.3": [0.0, 0.0, 0.1]})
    >>> gz2_labels(votes)
    array([ 0,  3, -1])
    """
    columns = sorted({column for _, rule in _ZHU2019_RULES for column, _ in rule})
    _require_columns(vote_fractions, columns, "vote_fractions")
    matches = np.stack(
        [
            np.logical_and.reduce(
                [vote_fractions[column].to_numpy() >= low for column, low in rule]
            )
            for _, rule in _ZHU2019_RULES
        ],
        axis=1,
    )
    labels = np.argmax(matches, axis=1).astype(np.int64)
    labels[matches.sum(axis=1) != 1] = -1
    return labels


def _read_csv(path, what: str) -> pd.DataFrame:
    if not Path(path).is_file():
        raise FileNotFoundError(f"The {what} {os.fspath(path)!r} does not exist.")
    try:
        return pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        raise ValueError(f"Could not read the {what} {os.fspath(path)!r}: {e}") from e


def _read_solutions(path) -> pd.DataFrame:
    frame = _read_csv(path, "solutions CSV")
    _require_columns(frame, ("GalaxyID", *VOTE_COLUMNS), f"{os.fspath(path)!r}")
    _require_unique(frame["GalaxyID"], path)
    votes = frame.set_index("GalaxyID")[list(VOTE_COLUMNS)]
    votes = votes.apply(pd.to_numeric, errors="coerce").astype(np.float64)
    bad = ~np.isfinite(votes.to_numpy()).all(axis=1)
    if bad.any():
        raise ValueError(
            f"{os.fspath(path)!r} has missing or non-numeric vote fractions for "
            f"GalaxyID {votes.index[bad][:5].tolist()}."
        )
    return votes


def _read_labels(path) -> pd.DataFrame:
    frame = _read_csv(path, "labels CSV")
    _require_columns(frame, ("galaxy_id", "label"), f"{os.fspath(path)!r}")
    _require_unique(frame["galaxy_id"], path)
    return frame.set_index("galaxy_id")


def _require_unique(ids: pd.Series, path) -> None:
    duplicated = ids[ids.duplicated()]
    if len(duplicated):
        raise ValueError(
            f"{os.fspath(path)!r} lists {len(duplicated)} galaxies more than once, "
            f"e.g. {duplicated.unique()[:5].tolist()}."
        )


def _image_paths(images_dir: Path, ids, extension: str) -> list[Path]:
    paths = [images_dir / f"{galaxy_id}{extension}" for galaxy_id in ids]
    missing = [str(galaxy_id) for galaxy_id, p in zip(ids, paths) if not p.is_file()]
    if missing:
        raise FileNotFoundError(
            f"{len(missing)} of {len(paths)} galaxies have no image in "
            f"{os.fspath(images_dir)!r} (expected <GalaxyID>{extension}), e.g. "
            f"{missing[:5]}."
        )
    return paths


def load_galaxy_zoo2(
    images_dir,
    solutions_csv=None,
    labels_csv=None,
    *,
    crop=207,
    image_size=64,
    split=None,
    galaxy_ids=None,
    derive_labels=True,
    n_jobs=None,
    return_X_y=False,
):
    """Load Galaxy Zoo 2 images with their vote fractions and/or labels.

    Reads the layout of the Kaggle "Galaxy Zoo - The Galaxy Challenge"
    download: a folder of ``<GalaxyID>.jpg`` (424x424 SDSS gri composites,
    ``images_training_rev1/``) and ``training_solutions_rev1.csv`` with the 37
    vote fractions ``Class1.1`` ... ``Class11.6``, or a plain labels CSV with
    columns ``galaxy_id,label`` (and optionally ``label_name``, ``split``).
    The galaxy sits in the middle of a mostly empty frame, so each image is
    centre-cropped to ``crop`` pixels and resized to ``image_size`` as it is
    decoded, on ``n_jobs`` threads.

    Kaggle's download needs a Kaggle account, so it is not fetched here.

    Parameters
    ----------
    images_dir : str or path-like
        Folder of ``<GalaxyID>.jpg`` files.
    solutions_csv : str or path-like, default=None
        Vote fractions, with a ``GalaxyID`` column and the 37 class columns.
    labels_csv : str or path-like, default=None
        Labels, with columns ``galaxy_id`` and ``label`` (integers or names),
        and optionally ``label_name`` and ``split``.
    crop : int, (int, int) or None, default=207
        Side of the centre crop in the original pixels (whole pixels only; use
        :class:`~galaxy_sklearn.preprocessing.CenterCropResize` for fractions);
        None keeps the frame.
    image_size : int, (int, int) or None, default=64
        Side of the returned images; None keeps the cropped size.
    split : str, default=None
        Keep only rows of the labels CSV whose ``split`` column has this
        value, e.g. ``"train"`` or ``"val"``.
    galaxy_ids : array-like, default=None
        Load only these galaxies, in this order.
    derive_labels : bool, default=True
        With ``solutions_csv`` and no ``labels_csv``, set ``target`` to the
        classes of Zhu et al. (2019) computed by :func:`gz2_labels` (-1 for
        unlabelled galaxies).
    n_jobs : int, default=None
        Decoding threads; None uses every core.
    return_X_y : bool, default=False
        Return ``(images, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``images`` (n, H, W, 3) uint8; ``galaxy_ids``; ``target`` (labels, or
        None without labels); ``target_names`` (from ``label_name``, else the
        five classes of :data:`GALAXY_CLASSES` for labels 0 to 4); ``vote_fractions``, a
        DataFrame indexed by GalaxyID (None without ``solutions_csv``);
        ``frame``, the rows of the labels CSV (or None); ``DESCR``.
    (images, target) : tuple
        With ``return_X_y=True``.

    Raises
    ------
    FileNotFoundError
        A missing folder or CSV, or galaxies without an image.
    ValueError
        A CSV without the expected columns, a corrupt image, or CSVs whose
        ids do not match.

    Examples
    --------
    >>> from galaxy_sklearn.datasets import load_galaxy_zoo2
    >>> gz2 = load_galaxy_zoo2("images_training_rev1",
    ...                        "training_solutions_rev1.csv")  # doctest: +SKIP
    >>> gz2.images.shape, gz2.vote_fractions.shape  # doctest: +SKIP
    ((61578, 64, 64, 3), (61578, 37))
    """
    images_dir = Path(images_dir)
    if not images_dir.is_dir():
        raise FileNotFoundError(
            f"The images folder {os.fspath(images_dir)!r} does not exist."
        )
    crop, image_size = _size_pair(crop, "crop"), _size_pair(image_size, "image_size")
    votes = None if solutions_csv is None else _read_solutions(solutions_csv)
    labels = None if labels_csv is None else _read_labels(labels_csv)
    if split is not None:
        if labels is None or "split" not in labels.columns:
            raise ValueError("split needs a labels_csv with a 'split' column.")
        if split not in set(labels["split"]):
            raise ValueError(
                f"split={split!r} is not in {os.fspath(labels_csv)!r}; its splits "
                f"are {sorted(set(labels['split']))}."
            )
        labels = labels[labels["split"] == split]

    if galaxy_ids is not None:
        ids = pd.Index(np.asarray(galaxy_ids).ravel())
        if ids.has_duplicates:
            raise ValueError(
                f"galaxy_ids repeats {ids[ids.duplicated()][:5].tolist()}; each "
                "galaxy is loaded once."
            )
    elif labels is not None:
        ids = labels.index
    elif votes is not None:
        ids = votes.index
    else:
        stems = [p.stem for p in images_dir.glob("*.jpg")]
        # ids are ints when the names are plain numbers (no leading zeros)
        numeric = all(stem.isdigit() and str(int(stem)) == stem for stem in stems)
        ids = pd.Index(sorted(int(s) for s in stems) if numeric else sorted(stems))
    if len(ids) == 0:
        raise ValueError(f"No galaxies to load from {os.fspath(images_dir)!r}.")
    for table, name in ((labels, labels_csv), (votes, solutions_csv)):
        if table is not None and not ids.isin(table.index).all():
            absent = ids[~ids.isin(table.index)]
            where = f" (split={split!r})" if table is labels and split else ""
            raise ValueError(
                f"{len(absent)} galaxies are not in {os.fspath(name)!r}{where}, "
                f"e.g. {absent[:5].tolist()}."
            )

    if votes is not None:
        votes = votes.loc[ids]
    target, target_names, frame = None, list(GALAXY_CLASSES), None
    if labels is not None:
        frame = labels.loc[ids]
        target = frame["label"].to_numpy()
        if not np.issubdtype(target.dtype, np.integer):
            target_names = sorted(set(target.tolist()), key=str)
        elif "label_name" in frame.columns:
            names = frame.groupby("label")["label_name"].first()
            target_names = [names.get(i, str(i)) for i in range(names.index.max() + 1)]
        elif len(target) and target.max() >= len(GALAXY_CLASSES):
            target_names = [str(i) for i in range(target.max() + 1)]
    elif votes is not None and derive_labels:
        target = gz2_labels(votes)

    images = read_jpegs(
        _image_paths(images_dir, ids, ".jpg"), crop, image_size, n_jobs=n_jobs
    )
    if return_X_y:
        return images, target
    return Bunch(
        images=images,
        target=target,
        target_names=target_names,
        galaxy_ids=ids.to_numpy(),
        vote_fractions=votes,
        frame=frame,
        DESCR=(
            "Galaxy Zoo 2 (Willett et al. 2013) SDSS gri images, "
            f"centre crop {crop}, resized to {image_size}."
        ),
    )
