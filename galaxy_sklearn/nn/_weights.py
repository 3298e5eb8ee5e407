"""Loading pretrained weights safely (tensors only, never pickled code)."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from pathlib import Path

import torch
from torch import nn

_PREFIXES = ("module.", "backbone.", "encoder_q.0.")


def save_atomically(obj, path) -> None:
    """``torch.save`` to ``path`` through a temporary file in the same folder,
    flushed to disk before it replaces ``path``: a crash leaves the old file
    or the new one, whole, never a half-written one."""
    path = Path(path)
    handle, partial = tempfile.mkstemp(
        dir=path.parent, prefix=path.name + ".", suffix=".partial"
    )
    try:
        with os.fdopen(handle, "wb") as f:
            torch.save(obj, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(partial, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(partial)
        raise
    if hasattr(os, "O_DIRECTORY"):  # make the rename itself durable
        folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


def load_tensors(path, what: str):
    """``torch.load(path, weights_only=True)`` onto the CPU, or a ValueError
    naming the file and ``what`` it should have been."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for bad files
        raise ValueError(
            f"Could not read {path} as {what} (loaded with weights_only=True, "
            f"which refuses pickled code): {exc}"
        ) from exc


def _download_weights(url: str, progress: bool) -> Path:
    """Fetch ``https://...#sha256=<hex>`` through pooch, checked against the hash."""
    address, _, pin = url.partition("#")
    digest = pin.removeprefix("sha256=").lower()
    if not pin.startswith("sha256=") or not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise ValueError(
            f"Remote weights download only with a pinned checksum; got {url!r}. "
            "Append the file's SHA-256 to the URL as '#sha256=<64 hex digits>' "
            "(pip's syntax), or download the file yourself and pass its path."
        )
    import pooch

    from ..datasets import get_data_home

    return Path(
        pooch.retrieve(
            address,
            known_hash=f"sha256:{digest}",
            path=get_data_home() / "weights",
            progressbar=progress,
        )
    )


def read_state_dict(source: str | os.PathLike, progress: bool = False) -> dict:
    """Read a state dict from a local file or a pinned URL, tensors only.

    Parameters
    ----------
    source : str or path-like
        A file written by ``torch.save(model.state_dict(), path)``, or an
        ``http(s)://`` URL of one that ends in ``#sha256=<hex digest>``: it is
        downloaded once through pooch into the data home's ``weights`` folder
        and refused if its hash differs. A URL without a hash is refused.
    progress : bool, default=False
        Show a download progress bar.

    Returns
    -------
    state_dict : dict of str to Tensor

    Raises
    ------
    ValueError
        For a URL without a pinned hash, a download whose hash differs, or a
        file that is not a state dict of tensors (a pickle with code in it is
        refused by ``torch.load(weights_only=True)`` without running it).

    Examples
    --------
    >>> import tempfile, torch
    >>> from galaxy_sklearn.nn import build_backbone
    >>> path = tempfile.mkdtemp() + "/cnn.pt"
    >>> torch.save(build_backbone("simple_cnn", 3, 16).state_dict(), path)
    >>> sorted(read_state_dict(path))[:2]
    ['features.0.bias', 'features.0.weight']
    """
    text = os.fspath(source)
    if text.startswith(("http://", "https://")):
        path = _download_weights(text, progress)
    else:
        path = Path(text).expanduser()
        if not path.is_file():
            raise FileNotFoundError(f"No pretrained weights file at {path}.")
    state = load_tensors(path, "a PyTorch state dict")
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise ValueError(
            f"{text} does not hold a state dict (a mapping of names to tensors)."
        )
    return state


def load_backbone_weights(backbone: nn.Module, state: dict) -> None:
    """Copy ``state`` into ``backbone``, tolerating common prefixes and heads.

    Raises ``ValueError`` naming the keys that do not fit.

    Examples
    --------
    >>> from galaxy_sklearn.nn import build_backbone
    >>> source = build_backbone("simple_cnn", 1, 16)
    >>> target = build_backbone("simple_cnn", 1, 16)
    >>> state = {"module." + k: v for k, v in source.state_dict().items()}
    >>> load_backbone_weights(target, state)  # the "module." prefix is dropped
    """
    cleaned = {}
    for key, value in state.items():
        for prefix in _PREFIXES:
            if key.startswith(prefix):
                key = key[len(prefix) :]
        cleaned[key] = value
    own = backbone.state_dict()
    # the classifier head of a full model (torchvision's fc) is not ours to load
    unexpected = [k for k in cleaned if k not in own and not k.startswith("fc.")]
    missing = [k for k in own if k not in cleaned]
    wrong = [
        k
        for k in own
        if k in cleaned and tuple(cleaned[k].shape) != tuple(own[k].shape)
    ]
    if missing or unexpected or wrong:
        raise ValueError(
            "Pretrained weights do not fit the backbone: "
            f"missing {missing[:5]}, unexpected {unexpected[:5]}, shape mismatch "
            f"{wrong[:5]} (first five of each). Build the backbone for the same "
            "image size and number of bands as the weights."
        )
    backbone.load_state_dict({k: cleaned[k] for k in own})
