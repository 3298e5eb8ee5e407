"""compare: train the model zoo on one split and report how each does."""

from __future__ import annotations

import json
import numbers
import os
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, precision_recall_fscore_support

from ._data import load_comparison_data
from ._report import scored_labels, write_figures, write_report, write_tables
from ._zoo import ZooSettings, resolve_models

_HISTORY_KEYS = ("epoch", "dur", "train_loss", "valid_loss", "train_acc", "valid_acc")


def labelled_subset(y, fraction: float, seed: int) -> np.ndarray:
    """Indices of the labelled rows: ``fraction`` of each class, at least one.

    Each class's rows are shuffled once per seed and the first ones kept, so
    the subsets of one seed are nested: every galaxy labelled at 1% is also
    labelled at 10%.

    Examples
    --------
    >>> import numpy as np
    >>> from galaxy_sklearn.evaluation import labelled_subset
    >>> y = np.repeat([0, 1], [40, 10])
    >>> few, more = labelled_subset(y, 0.1, seed=0), labelled_subset(y, 0.5, seed=0)
    >>> np.bincount(y[few]).tolist(), set(few) <= set(more)
    ([4, 1], True)
    """
    y = np.asarray(y)
    rng = np.random.RandomState(seed)
    keep = []
    for label in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == label))
        keep.append(members[: max(1, int(round(fraction * len(members))))])
    return np.sort(np.concatenate(keep))


def _check_arguments(label_fractions, seeds, max_epochs, batch_size, random_state):
    fractions = sorted({float(f) for f in np.atleast_1d(label_fractions)})
    if not fractions or not all(0 < f <= 1 for f in fractions):
        raise ValueError(
            "label_fractions must be in (0, 1], got "
            f"{list(np.atleast_1d(label_fractions))}."
        )
    seeds = [int(s) for s in np.atleast_1d(seeds)]
    if not seeds:
        raise ValueError("seeds is empty; give at least one seed.")
    if isinstance(random_state, bool) or not isinstance(random_state, numbers.Integral):
        raise ValueError(
            "random_state must be an int: it fixes the data and the split that "
            f"every run (and a resumed comparison) shares; got {random_state!r}."
        )
    for name, value in (("max_epochs", max_epochs), ("batch_size", batch_size)):
        if int(value) != value or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    return fractions, list(dict.fromkeys(seeds))


def _default_output() -> Path:
    return Path.cwd() / f"galaxy_sklearn_compare_{datetime.now():%Y%m%d-%H%M%S}"


def _history(estimator):
    """Per-epoch records of a fitted estimator (or the featurizer in a Pipeline)."""
    from ..plotting._training import _find_history

    history = _find_history(estimator) or []
    return [{k: row[k] for k in _HISTORY_KEYS if k in row} for row in history]


class TrainingInterrupted(KeyboardInterrupt):
    """A training stopped early (Ctrl-C); the comparison stops with it."""


def _check_finished(estimator, what: str, output: Path) -> None:
    """Refuse to record a training that stopped early.

    skorch ends ``fit`` quietly on ``KeyboardInterrupt`` and keeps what was
    trained; in a comparison that would be a wrong row, so the comparison
    stops instead, and a rerun resumes from the last finished run.
    """
    # an epoch cut short has a history row but no loss
    epochs = sum("train_loss" in row for row in _history(estimator))
    wanted = getattr(estimator, "max_epochs", None)
    if wanted is not None and epochs < wanted:
        raise TrainingInterrupted(
            f"{what} stopped after {epochs} of {wanted} epochs and was not "
            f"recorded. To resume, run again with output={os.fspath(output)!r} "
            "(--output on the command line) and the same settings."
        )


def _check_output(output: Path, fingerprint: dict) -> None:
    """Refuse to mix results of different data or settings in one folder."""
    config = output / "config.json"
    if config.is_file():
        previous = json.loads(config.read_text())
        if previous != fingerprint:
            changed = sorted(
                k
                for k in set(previous) | set(fingerprint)
                if previous.get(k) != fingerprint.get(k)
            )
            raise ValueError(
                f"{os.fspath(output)!r} holds a comparison with other data or "
                f"settings (they differ in {changed}); resume it with the same "
                "arguments or write to a new --output folder."
            )
    else:
        output.mkdir(parents=True, exist_ok=True)
        config.write_text(json.dumps(fingerprint, indent=2))


class _Run:
    """One comparison: the split, the output folder and cached features."""

    def __init__(self, data, settings, output):
        self.data = data
        self.settings = settings
        self.output = output
        self.figures = output / "figures"
        self.features = {}
        for folder in (self.figures, output / "runs", output / "cache"):
            folder.mkdir(parents=True, exist_ok=True)

    def result_path(self, spec, seed, fraction) -> Path:
        return self.output / "runs" / spec.name / f"seed{seed}_labels{fraction:g}.json"

    def featurize(self, spec, seed, first_seed):
        """Train and test features of ``spec`` for ``seed``, computed once."""
        key = (spec.name, seed if spec.seeded_features else None)
        if key in self.features:
            return self.features[key]
        suffix = f"_seed{seed}" if spec.seeded_features else ""
        cache = self.output / "cache" / f"{spec.name}{suffix}.npz"
        if cache.is_file():
            with np.load(cache) as stored:
                found = {k: stored[k] for k in stored.files}
            found["pretrain_seconds"] = float(found["pretrain_seconds"])
            found["transform_seconds"] = float(found["transform_seconds"])
            self.features[key] = found
            return found
        featurizer = spec.featurizer(self.settings, seed)
        start = time.perf_counter()
        train = featurizer.fit_transform(self.data.X_train)
        pretrain_seconds = time.perf_counter() - start
        _check_finished(
            featurizer, f"{spec.label} pretraining (seed {seed})", self.output
        )
        start = time.perf_counter()
        test = featurizer.transform(self.data.X_test)
        transform_seconds = time.perf_counter() - start
        found = {
            "train": np.asarray(train, dtype=np.float32),
            "test": np.asarray(test, dtype=np.float32),
            "pretrain_seconds": pretrain_seconds,
            "transform_seconds": transform_seconds,
        }
        if seed == first_seed:
            self._featurizer_figures(spec, featurizer, found)
        np.savez(cache.with_suffix(".tmp.npz"), **found)
        os.replace(cache.with_suffix(".tmp.npz"), cache)
        self.features[key] = found
        return found

    def _featurizer_figures(self, spec, featurizer, found):
        from ..plotting import plot_embedding, plot_history, plot_reconstructions

        data = self.data
        figures = []
        if spec.name != "pca":
            figures.append(
                (
                    f"embedding_{spec.name}.png",
                    lambda: plot_embedding(
                        found["test"],
                        data.y_test,
                        method="tsne",
                        names=data.names,
                        images=data.X_test,
                        title=f"{spec.label}: t-SNE of the test galaxies' features",
                    ),
                )
            )
        if spec.torch_model:
            figures.append(
                (
                    f"history_{spec.name}.png",
                    lambda: plot_history(
                        featurizer, title=f"{spec.label}: pretraining"
                    ),
                )
            )
        if hasattr(featurizer, "inverse_transform") and hasattr(featurizer, "net_"):
            figures.append(
                (
                    f"reconstructions_{spec.name}.png",
                    lambda: plot_reconstructions(featurizer, data.X_test, n_images=8),
                )
            )
        self.save_figures(figures)

    def _supervised_figures(self, spec, model, fraction):
        from ..plotting import plot_history, plot_saliency

        data = self.data
        self.save_figures(
            [
                (
                    f"history_{spec.name}.png",
                    lambda: plot_history(
                        model, title=f"{spec.label}: {fraction:g} of the labels"
                    ),
                ),
                (
                    f"saliency_{spec.name}.png",
                    lambda: plot_saliency(
                        model,
                        data.X_test,
                        data.y_test,
                        n_images=8,
                        names=data.names,
                        title=f"{spec.label}: Grad-CAM, last convolutional block",
                    ),
                ),
            ]
        )

    def save_figures(self, figures):
        import matplotlib.pyplot as plt

        for name, draw in figures:
            fig = draw()
            fig.savefig(self.figures / name, dpi=110)
            plt.close(fig)

    def fit_and_score(self, spec, seed, fraction, *, first_seed, largest_fraction):
        data = self.data
        labelled = labelled_subset(data.y_train, fraction, seed)
        model = spec.classifier(self.settings, seed, fraction)
        pretrain_seconds, transform_seconds = 0.0, 0.0
        if spec.featurizer is not None:
            features = self.featurize(spec, seed, first_seed)
            X_fit, X_test = features["train"][labelled], features["test"]
            pretrain_seconds = features["pretrain_seconds"]
            transform_seconds = features["transform_seconds"]
        else:
            X_fit, X_test = data.X_train[labelled], data.X_test
        start = time.perf_counter()
        model.fit(X_fit, data.y_train[labelled])
        fit_seconds = time.perf_counter() - start
        _check_finished(
            model, f"{spec.label} ({fraction:g} of labels, seed {seed})", self.output
        )
        start = time.perf_counter()
        proba = model.predict_proba(X_test)
        y_pred = model.classes_[np.argmax(proba, axis=1)]
        predict_seconds = time.perf_counter() - start + transform_seconds
        if spec.featurizer is None and seed == first_seed and largest_fraction:
            self._supervised_figures(spec, model, fraction)
        precision, recall, f1, _ = precision_recall_fscore_support(
            data.y_test,
            y_pred,
            labels=scored_labels(data.y_test, model.classes_),  # as in per_class.csv
            average="macro",
            zero_division=0.0,
        )
        result = {
            "model": spec.label,
            "name": spec.name,
            "seed": seed,
            "label_fraction": fraction,
            "n_labels": int(len(labelled)),
            "accuracy": float(accuracy_score(data.y_test, y_pred)),
            "macro_precision": float(precision),
            "macro_recall": float(recall),
            "macro_f1": float(f1),
            "fit_seconds": fit_seconds + pretrain_seconds,
            "pretrain_seconds": pretrain_seconds,
            "predict_images_per_s": len(X_test) / max(predict_seconds, 1e-9),
            "history": _history(model) if spec.featurizer is None else [],
        }
        path = self.result_path(spec, seed, fraction)
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(
            path.with_suffix(".npz"), y_pred=y_pred, proba=proba, classes=model.classes_
        )
        # the JSON is written last: its presence marks the run as finished
        path.with_suffix(".tmp").write_text(json.dumps(result))
        os.replace(path.with_suffix(".tmp"), path)
        return result


def compare(
    data="synthetic",
    *,
    models=None,
    label_fractions=(0.05, 0.2, 1.0),
    seeds=(0, 1),
    output=None,
    image_size=None,
    n_samples=None,
    max_epochs=5,
    batch_size=64,
    device="auto",
    test_size=0.2,
    random_state=0,
    verbose=1,
    echo=print,
) -> pd.DataFrame:
    """Train the model zoo on one split; write the table, figures and a report.

    Every model sees the same train/test split. For each seed and labelled
    fraction, a stratified subset of the training labels is kept (nested
    across fractions); featurizers (CAE, MoCo, pixel PCA) learn from every
    training image once per seed, without labels, and are reused for all
    fractions; supervised CNNs train on the labelled images alone. Results go
    to ``output``:

    * ``results.csv`` (one row per model, fraction and seed), ``summary.csv``
      and ``summary.md`` (means over seeds), ``label_efficiency.csv`` and
      ``per_class.csv`` (:func:`~galaxy_sklearn.metrics.classification_report_frame`
      of each model at the largest label fraction, first seed);
    * ``figures/*.png``: confusion matrices, ROC curves, the label-efficiency
      curve, example galaxies with the best model's predictions, training
      curves, CAE reconstructions, t-SNE maps of the featurizers and Grad-CAM
      saliency of the CNNs;
    * ``report.html`` (self-contained, figures embedded) and ``report.md``.

    Runs already in ``output`` are not repeated: run again with the same
    ``output`` and settings and an interrupted comparison resumes where it
    stopped. A training stopped by Ctrl-C is not recorded (skorch would end
    it quietly); :class:`TrainingInterrupted`, a ``KeyboardInterrupt``, says
    how to resume.

    Parameters
    ----------
    data : "synthetic", path, (X, y) or (X_train, y_train, X_test, y_test), \
default="synthetic"
        The built-in synthetic galaxies (no download), a Galaxy Zoo 2 folder
        (``images/`` + ``labels.csv`` with an optional ``split`` column, or
        the Kaggle layout), a Galaxy10 ``.h5`` file under its official name,
        or arrays.
    models : None, "all" or list of str, default=None
        Names from ``galaxy_sklearn.evaluation.MODELS``: ``simple_cnn``,
        ``resnet18``, ``resnet50``, ``vgg16``, ``inception_v3``,
        ``xception`` (with ``timm``), ``cae``, ``moco``, ``morphology``,
        ``pca``. ``None`` is the fast set: simple_cnn, resnet18, cae, moco,
        morphology, pca.
    label_fractions : sequence of float, default=(0.05, 0.2, 1.0)
        Fractions of the training labels kept.
    seeds : sequence of int, default=(0, 1)
        One run of every model and fraction per seed; the spread over seeds
        is the band of the label-efficiency curve.
    output : str or path, default=None
        Folder for the results; default a new ``galaxy_sklearn_compare_<time>``
        folder in the working directory.
    image_size : int, default=None
        Side of the images: 24 px for synthetic galaxies, 64 px for real ones.
    n_samples : int, default=None
        At most this many training galaxies (1,200 synthetic ones by default).
    max_epochs : int, default=5
        Epochs of the featurizers, and of the supervised CNNs on all labels
        (on fewer labels they get up to four times as many, see
        ``supervised_epochs``). Raise it on a GPU (e.g. 50).
    batch_size : int, default=64
    device : str, default="auto"
    test_size : float, default=0.2
        Held-out fraction when the data has no split of its own.
    random_state : int, default=0
        Seeds the data and the train/test split.
    verbose : int, default=1
        A progress bar over the whole comparison.
    echo : callable, default=print
        Where progress lines and the summary table go.

    Returns
    -------
    results : pandas.DataFrame
        One row per model, labelled fraction and seed: accuracy, macro
        precision, recall and F1, fit seconds (with the featurizer's
        pretraining), pretraining seconds and predicted images per second.

    Examples
    --------
    >>> from galaxy_sklearn import compare
    >>> results = compare(models=["pca", "morphology"], label_fractions=[0.1, 1.0],
    ...                   seeds=[0], n_samples=200, output="zoo",
    ...                   verbose=0, echo=None)  # doctest: +SKIP
    >>> sorted(results["model"].unique())  # doctest: +SKIP
    ['morphology + RF', 'pixel PCA + LR']
    """
    from tqdm.auto import tqdm

    echo = echo or (lambda *args: None)
    fractions, seeds = _check_arguments(
        label_fractions, seeds, max_epochs, batch_size, random_state
    )
    specs = resolve_models(models)
    from .._engine import resolve_device

    resolve_device(device)
    data = load_comparison_data(
        data,
        image_size=image_size,
        n_samples=n_samples,
        test_size=test_size,
        random_state=random_state,
    )
    settings = ZooSettings(int(max_epochs), int(batch_size), device)
    output = Path(output) if output is not None else _default_output()
    fingerprint = {
        **data.fingerprint,
        "max_epochs": settings.max_epochs,
        "batch_size": settings.batch_size,
    }
    _check_output(output, fingerprint)
    run = _Run(data, settings, output)
    echo(
        f"{data.description}: {len(data.y_train)} training and {len(data.y_test)} "
        f"test galaxies; {len(specs)} models x {len(fractions)} label fractions x "
        f"{len(seeds)} seeds -> {output}"
    )
    jobs = [(spec, seed, f) for seed in seeds for spec in specs for f in fractions]
    done = [job for job in jobs if run.result_path(*job).is_file()]
    if done:
        echo(f"resuming: {len(done)} of {len(jobs)} runs are already in {output}")
    bar = tqdm(total=len(jobs), initial=len(done), disable=not verbose, unit="run")
    try:
        for spec, seed, fraction in jobs:
            if run.result_path(spec, seed, fraction).is_file():
                continue
            bar.set_postfix_str(f"{spec.label}, {fraction:g} of labels, seed {seed}")
            run.fit_and_score(
                spec,
                seed,
                fraction,
                first_seed=seeds[0],
                largest_fraction=fraction == fractions[-1],
            )
            bar.update()
    finally:
        bar.close()
    results = pd.DataFrame(
        [json.loads(run.result_path(*job).read_text()) for job in jobs]
    )
    tables = write_tables(results, run, specs, fractions, seeds)
    echo(tables["summary_text"])
    figures = write_figures(results, run, specs, fractions, seeds)
    write_report(run, tables, figures, fingerprint)
    echo(f"wrote {output / 'report.html'}, {len(figures)} figures and the tables")
    return results.drop(columns=["history"])
