"""Saving a fitted estimator as tensors and plain values, loading it anywhere.

Unlike a pickle (``joblib.dump``), the file holds no code: :func:`load` reads
it with ``torch.load(weights_only=True)``, rebuilds the network from the
estimator's parameters and copies the weights in, on whatever device is
asked for. A network trained on a GPU loads on a CPU-only machine.
"""

from __future__ import annotations

import copy
import json
import numbers
import os
import warnings
from pathlib import Path

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted
from skorch.history import History

from ._engine import resolve_device, seeded
from .nn._weights import load_tensors, save_atomically

__all__ = ["load", "save"]

_FORMAT = "galaxy-sklearn-estimator/1"
_NOT_FITTED_STATE = ("net_", "history_")
# Parameters added since the format was introduced, with the value that
# reproduces what a file written without them was trained with.
_ADDED_PARAMS = {"align": None, "lr_schedule": "constant"}


def _estimator_classes() -> dict:
    from . import CAEFeaturizer, CNNGalaxyClassifier, CNNGalaxyRegressor, MoCoFeaturizer

    classes = (CAEFeaturizer, CNNGalaxyClassifier, CNNGalaxyRegressor, MoCoFeaturizer)
    return {cls.__name__: cls for cls in classes}


def _plain(value, what: str):
    """``value`` as types that ``weights_only`` loading accepts."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, np.ndarray):
        return {"__ndarray__": _plain(value.tolist(), what), "dtype": value.dtype.str}
    if isinstance(value, (list, tuple)):
        items = [_plain(item, what) for item in value]
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, dict):
        return {_plain(k, what): _plain(v, what) for k, v in value.items()}
    raise ValueError(
        f"{what} holds a {type(value).__name__}, which save() cannot store as "
        "plain values; use joblib.dump (a pickle) for this estimator instead."
    )


def _unplain(value):
    if isinstance(value, dict) and "__ndarray__" in value:
        return np.asarray(value["__ndarray__"], dtype=np.dtype(value["dtype"]))
    return value


def save(estimator, path) -> None:
    """Write a fitted torch-backed estimator to ``path`` (see its ``save``)."""
    check_is_fitted(estimator)
    name = type(estimator).__name__
    if name not in _estimator_classes():
        raise TypeError(f"save() stores galaxy-sklearn's networks, not a {name}.")
    params, dropped = {}, []
    for key, value in estimator.get_params(deep=False).items():
        if key == "checkpoint_dir":
            params[key] = None  # a folder of the training machine
        elif hasattr(value, "net_"):
            # a fitted featurizer as ``pretrained``: its weights are already
            # in this network; only a refit would need it
            params[key] = None
            dropped.append(key)
        else:
            params[key] = _plain(value, f"Parameter {key!r}")
    if dropped:
        warnings.warn(
            f"{dropped} hold fitted estimators, which save() does not store; the "
            "loaded estimator predicts the same, but has them set to None.",
            UserWarning,
            stacklevel=3,
        )
    fitted = {
        key: _plain(value, f"Fitted attribute {key!r}")
        for key, value in vars(estimator).items()
        if key not in params and key not in _NOT_FITTED_STATE
    }
    net = estimator.net_
    state = {
        "format": _FORMAT,
        "estimator": name,
        "params": params,
        "fitted": fitted,
        "module": net.module_.state_dict(),
        "criterion": net.criterion_.state_dict(),
        "history": json.dumps(net.history.to_list()),
    }
    save_atomically(state, path)


def load(path, *, device="auto"):
    """Load an estimator written by its ``save`` method.

    Only tensors and plain values are read (``torch.load(weights_only=True)``),
    so a file from an untrusted source cannot run code. The network is built
    from the saved parameters and fitted attributes, then the weights are
    copied in.

    Parameters
    ----------
    path : str or path-like
        The file written by ``save``.
    device : {"auto", "cpu", "cuda"} or str, default="auto"
        Where the network goes; it becomes the estimator's ``device``
        parameter. A network saved on a GPU loads on a CPU-only machine.

    Returns
    -------
    estimator : CAEFeaturizer, MoCoFeaturizer, CNNGalaxyClassifier or CNNGalaxyRegressor
        Fitted, predicting exactly as the saved one did.

    Raises
    ------
    FileNotFoundError
        If there is no file at ``path``.
    ValueError
        If the file is not a saved galaxy-sklearn estimator (for instance a
        pickle, which is refused without being run).

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np
    >>> from galaxy_sklearn import CAEFeaturizer, load
    >>> from galaxy_sklearn.datasets import make_galaxies
    >>> X, _ = make_galaxies(n_samples=20, image_size=16, random_state=0)
    >>> cae = CAEFeaturizer(latent_dim=4, max_epochs=1, random_state=0).fit(X)
    >>> path = tempfile.mkdtemp() + "/cae.pt"
    >>> cae.save(path)
    >>> np.array_equal(load(path, device="cpu").transform(X), cae.transform(X))
    True
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No saved estimator at {path}.")
    state = load_tensors(path, "a saved galaxy-sklearn estimator")
    classes = _estimator_classes()
    if (
        not isinstance(state, dict)
        or state.get("format") != _FORMAT
        or state.get("estimator") not in classes
    ):
        raise ValueError(
            f"{path} is not an estimator written by galaxy-sklearn's save(); "
            "expected a file with format " + repr(_FORMAT) + "."
        )
    cls = classes[state["estimator"]]
    known = cls().get_params(deep=False)
    unknown = set(state["params"]) - set(known)
    # only data attributes: never a name that would shadow a method
    unknown |= {
        key
        for key in state["fitted"]
        if not key.isidentifier() or key.startswith("__") or hasattr(cls, key)
    }
    if unknown:
        raise ValueError(
            f"{path} sets {sorted(unknown)}, which a {cls.__name__} does not have; "
            "it was not written by this version of galaxy-sklearn's save()."
        )
    params = {key: value for key, value in _ADDED_PARAMS.items() if key in known}
    params.update(state["params"])
    estimator = cls(**params)
    estimator.set_params(device=device)
    for key, value in state["fitted"].items():
        setattr(estimator, key, _unplain(value))
    torch_device = resolve_device(device)

    # built without pretrained weights: the saved ones replace them anyway
    builder = copy.copy(estimator)
    if hasattr(builder, "pretrained"):
        builder.pretrained = None
    images, targets = builder._skeleton()
    with seeded(0, torch.device("cpu")):
        module = builder._build_module(images, targets)
        net = builder._make_net(
            module,
            targets,
            torch_device,
            n_train=estimator.batch_size,
            callbacks=builder._callbacks(),
        )
        net.initialize()
    net.module_.load_state_dict(state["module"])
    net.criterion_.load_state_dict(state["criterion"])
    net.history = History(json.loads(state["history"]))
    estimator.net_ = net
    estimator.history_ = net.history
    return estimator
