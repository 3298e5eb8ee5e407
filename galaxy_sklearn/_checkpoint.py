"""Training checkpoints: written after every epoch, resumed by ``fit``.

A checkpoint holds what the next epoch depends on (weights, optimizer and
loss state, history, the random number generators), so a resumed fit on the
CPU reaches the very weights an uninterrupted one does. It is read with
``torch.load(weights_only=True)``: tensors and plain values only, never code.
"""

from __future__ import annotations

import hashlib
import json
import numbers
from pathlib import Path

import numpy as np
import torch
from skorch.callbacks import Callback
from skorch.history import History

from .exceptions import CheckpointMismatchError
from .nn._weights import load_tensors, save_atomically

CHECKPOINT_FILE = "checkpoint.pt"
_FORMAT = "galaxy-sklearn-checkpoint/1"
# what may change between an interrupted fit and its resumption
_NOT_FINGERPRINTED = ("checkpoint_dir", "compile", "device", "max_epochs", "verbose")


def _update_with_array(digest, array) -> None:
    array = np.asarray(array)
    digest.update(f"{array.dtype.str}{array.shape};".encode())
    flat = array.reshape(len(array), -1) if array.ndim else array.reshape(1)
    for start in range(0, len(flat), 1024):
        digest.update(np.ascontiguousarray(flat[start : start + 1024]))


def _update_with_module(digest, module: torch.nn.Module) -> None:
    for name, tensor in module.state_dict().items():
        digest.update(name.encode())
        raw = tensor.detach().cpu().contiguous().reshape(-1).view(torch.uint8)
        digest.update(raw.numpy())


def fingerprint(estimator, images: np.ndarray, targets) -> str:
    """A digest of the training data and of every parameter that shapes it.

    ``max_epochs``, ``device``, ``compile``, ``verbose`` and ``checkpoint_dir`` are left
    out: a fit may resume on another device, or train on for more epochs. A
    ``random_state`` that is not an int counts as "drawn": the seed drawn from
    it is kept in the checkpoint and reused on resuming.
    """
    digest = hashlib.blake2b(digest_size=16)
    digest.update(type(estimator).__qualname__.encode())
    for name, value in sorted(estimator.get_params(deep=False).items()):
        if name in _NOT_FINGERPRINTED:
            continue
        digest.update(f"{name}=".encode())
        if name == "random_state" and not isinstance(value, numbers.Integral):
            value = "drawn"
        net = getattr(value, "net_", None)
        if net is not None:  # a fitted featurizer: its weights, not its repr
            _update_with_module(digest, net.module_)
        else:
            digest.update(f"{value!r};".encode())
    _update_with_array(digest, images)
    if targets is not None:
        _update_with_array(digest, targets)
    return digest.hexdigest()


def _rng_state(device: torch.device) -> dict:
    """The generators training draws from: the CPU's and the training GPU's."""
    state = {"cpu": torch.get_rng_state()}
    if device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(device)
    return state


def _set_rng_state(state: dict, device: torch.device) -> None:
    # a GPU's state means nothing on the CPU (a run resumed on another device
    # keeps the data order, drawn on the CPU, but not the GPU's draws)
    torch.set_rng_state(state["cpu"])
    if device.type == "cuda" and "cuda" in state:
        torch.cuda.set_rng_state(state["cuda"], device)


class EpochCheckpoint(Callback):
    """Write ``checkpoint.pt`` into ``folder`` at the end of every epoch.

    The file is replaced atomically and flushed to disk, so an interruption
    or a crash while writing leaves the previous epoch's checkpoint whole. It
    must be the last callback: the random state it saves has to include every
    draw of the epoch.
    """

    def __init__(self, folder, key: str, seed: int):
        self.folder = folder
        self.key = key
        self.seed = seed

    def on_epoch_end(self, net, **kwargs):
        folder = Path(self.folder)
        folder.mkdir(parents=True, exist_ok=True)
        device = torch.device(net.device)
        state = {
            "format": _FORMAT,
            "fingerprint": self.key,
            "seed": self.seed,
            "epochs": len(net.history),
            "max_epochs": net.max_epochs,
            "module": net.module_.state_dict(),
            "criterion": net.criterion_.state_dict(),
            "optimizers": {
                name: getattr(net, name + "_").state_dict() for name in net._optimizers
            },
            "scaler": net._grad_scaler(device).state_dict(),
            "history": json.dumps(net.history.to_list()),
            "rng": _rng_state(device),
        }
        save_atomically(state, folder / CHECKPOINT_FILE)


def read_checkpoint(folder, key: str, owner: str) -> dict | None:
    """The checkpoint in ``folder`` if there is one, checked against ``key``.

    Raises
    ------
    CheckpointMismatchError
        If the checkpoint belongs to another fit (data or parameters).
    ValueError
        If the file cannot be read as a checkpoint.
    """
    path = Path(folder) / CHECKPOINT_FILE
    if not path.is_file():
        return None
    state = load_tensors(path, "a checkpoint (delete it to train from scratch)")
    if not isinstance(state, dict) or state.get("format") != _FORMAT:
        raise CheckpointMismatchError(
            f"{path} is not a galaxy-sklearn checkpoint. Point checkpoint_dir at "
            "another folder, or delete the file."
        )
    if state["fingerprint"] != key:
        raise CheckpointMismatchError(
            f"{path} holds the training of other data or other parameters than "
            f"this {owner}.fit; resuming from it would mix two runs, and "
            "overwriting it would lose that work. Point checkpoint_dir at another "
            "folder, or delete it to train from scratch."
        )
    return state


def restore_checkpoint(net, state: dict) -> int:
    """Put a checkpoint's state into an initialised net; return its epochs."""
    net.module_.load_state_dict(state["module"])
    net.criterion_.load_state_dict(state["criterion"])
    for name, optimizer_state in state["optimizers"].items():
        getattr(net, name + "_").load_state_dict(optimizer_state)
    if state["scaler"]:
        net._grad_scaler(torch.device(net.device)).load_state_dict(state["scaler"])
    net.history = History(json.loads(state["history"]))
    _set_rng_state(state["rng"], torch.device(net.device))
    return int(state["epochs"])
