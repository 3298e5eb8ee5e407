"""How training went: learning curves and label efficiency."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from ._figures import grid_axes, single_axes


def _find_history(obj):
    """The per-epoch records of ``obj``: an estimator, a Pipeline or meta-
    estimator around one, a skorch History or a list of dicts."""
    if isinstance(obj, list):
        return obj
    history = getattr(obj, "history_", None)
    if history is not None:
        return list(history)
    inner = []
    if isinstance(obj, Pipeline):
        inner = [step for _, step in obj.steps][::-1]
    elif hasattr(obj, "estimator_"):
        inner = [obj.estimator_]
    for step in inner:
        found = _find_history(step)
        if found:
            return found
    return None


def plot_history(estimator, *, title=None):
    """Loss (and accuracy, when recorded) per epoch, training and validation.

    Parameters
    ----------
    estimator : fitted estimator, Pipeline, skorch History or list of dict
        Anything with a ``history_`` (every torch-backed estimator), a
        Pipeline or :class:`~galaxy_sklearn.LabelledOnlyClassifier` holding
        one (the last such step is drawn), or the history itself. Validation
        curves appear when the estimator was fitted with
        ``validation_fraction``.
    title : str, default=None

    Returns
    -------
    fig : matplotlib Figure
        One panel for ``train_loss``/``valid_loss``, one for
        ``train_acc``/``valid_acc`` when the history has them.

    Examples
    --------
    >>> from galaxy_sklearn.plotting import plot_history
    >>> history = [{"epoch": 1, "train_loss": 1.6, "train_acc": 0.3},
    ...            {"epoch": 2, "train_loss": 1.2, "train_acc": 0.5}]
    >>> [ax.get_ylabel() for ax in plot_history(history).axes]
    ['loss', 'accuracy']
    """
    history = _find_history(estimator)
    if not history:
        raise ValueError(
            f"{type(estimator).__name__} has no training history; pass a fitted "
            "torch-backed estimator (or a Pipeline holding one) or its history_."
        )
    frame = pd.DataFrame(history)
    epochs = frame["epoch"] if "epoch" in frame else np.arange(1, len(frame) + 1)
    panels = [("loss", ["train_loss", "valid_loss"])]
    if {"train_acc", "valid_acc"} & set(frame):
        panels.append(("accuracy", ["train_acc", "valid_acc"]))
    fig, axes = grid_axes(1, len(panels), figsize=(5 * len(panels), 3.8))
    for ax, (ylabel, keys) in zip(axes[0], panels):
        for key, style in zip(keys, ("-o", "--s")):
            if key in frame and frame[key].notna().any():
                label = key.split("_")[0].replace("train", "training")
                label = label.replace("valid", "validation")
                ax.plot(epochs, frame[key], style, ms=3, label=label)
        ax.set(xlabel="epoch", ylabel=ylabel)
        ax.legend()
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_label_efficiency(
    results,
    *,
    metric="accuracy",
    x="label_fraction",
    model="model",
    title=None,
    ax=None,
):
    """Score against the amount of labels: one line per model, spread over seeds.

    The line is the mean over seeds; the band spans the lowest and highest
    seed.

    Parameters
    ----------
    results : DataFrame or dict of columns
        One row per model, amount of labels and seed, e.g. the table that
        :func:`galaxy_sklearn.compare` returns.
    metric : str, default="accuracy"
        Column plotted upwards.
    x : str, default="label_fraction"
        Column of the amount of labels (a fraction or a count); log-scaled
        when it spans more than a factor of 20.
    model : str, default="model"
        Column naming the model of each row.
    title : str, default=None
    ax : matplotlib Axes, default=None

    Returns
    -------
    fig : matplotlib Figure

    Examples
    --------
    >>> from galaxy_sklearn.plotting import plot_label_efficiency
    >>> results = {"model": ["cnn"] * 4, "label_fraction": [0.1, 0.1, 1.0, 1.0],
    ...            "seed": [0, 1, 0, 1], "accuracy": [0.5, 0.6, 0.8, 0.9]}
    >>> line = plot_label_efficiency(results).axes[0].lines[0]
    >>> [float(round(v, 3)) for v in line.get_ydata()]
    [0.55, 0.85]
    """
    frame = pd.DataFrame(results)
    missing = {metric, x, model} - set(frame)
    if missing:
        raise ValueError(
            f"results lacks the columns {sorted(missing)}; it has {list(frame)}."
        )
    fig, ax = single_axes(ax, figsize=(6, 4.2))
    for name, rows in frame.groupby(model, sort=False):
        stats = rows.groupby(x)[metric].agg(["mean", "min", "max"]).sort_index()
        (line,) = ax.plot(stats.index, stats["mean"], "-o", ms=4, label=str(name))
        ax.fill_between(
            stats.index, stats["min"], stats["max"], color=line.get_color(), alpha=0.2
        )
    values = frame[x].to_numpy(dtype=float)
    if values.min() > 0 and values.max() / values.min() > 20:
        ax.set_xscale("log")
    ax.set(
        xlabel=x.replace("_", " "),
        ylabel=metric.replace("_", " "),
        title=title or "label efficiency",
    )
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    fig.tight_layout()
    return fig
