"""The one training engine that every estimator drives.

Training is skorch's :class:`~skorch.NeuralNet` (history, callbacks, progress
bar, validation split, ``KeyboardInterrupt`` handling), extended here with
mixed precision on CUDA and whole-batch data loading. Inference goes through
:func:`predict_batches`, which streams fixed-size batches so memory stays
bounded whatever the number of images.
"""

from __future__ import annotations

import collections
import contextlib
import math
import numbers

import numpy as np
import torch
from sklearn.utils import check_random_state
from skorch import NeuralNet
from skorch.callbacks import Callback, ProgressBar
from skorch.utils import TeeGenerator, to_numpy, to_tensor
from torch.utils.data import Dataset, Subset

from .exceptions import TrainingDivergedError


def resolve_device(device) -> torch.device:
    """``"auto"`` is CUDA when available, else the CPU; anything else is checked."""
    if device == "auto" or device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(
            f"device must be 'auto', 'cpu', 'cuda' or a torch device string, got "
            f"{device!r}."
        ) from None
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} was requested but CUDA is not available here; "
            "use device='auto' or 'cpu'."
        )
    return resolved


def resolve_seed(random_state) -> int:
    """An int seed from ``random_state`` (None, int or RandomState)."""
    if isinstance(random_state, numbers.Integral):
        return int(random_state) % (2**32)
    return int(check_random_state(random_state).randint(0, 2**31 - 1))


@contextlib.contextmanager
def seeded(seed: int, device: torch.device):
    """Seed torch inside the block and restore the caller's RNG state after."""
    devices = []
    if device.type == "cuda":
        devices = [
            torch.cuda.current_device() if device.index is None else device.index
        ]
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield


def autocast(device: torch.device):
    """Mixed precision on CUDA (bfloat16 where supported); nothing on the CPU."""
    if device.type != "cuda":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.autocast("cuda", dtype=dtype)


def _batch_tensor(array: np.ndarray) -> torch.Tensor:
    if not array.flags.writeable:
        array = array.copy()
    return torch.from_numpy(np.ascontiguousarray(array))


def _detached_copy(value):
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if isinstance(value, (tuple, list)):
        return type(value)(_detached_copy(item) for item in value)
    return value


def network_input(batch: torch.Tensor, device) -> torch.Tensor:
    """A raw ``(n, H, W, C)`` batch as the ``(n, C, H, W)`` float32 that every
    module of the package takes: ``uint8`` divided by 255, other values kept.

    The batch moves to ``device`` before the conversion, so ``uint8`` images
    cross to a GPU at a quarter of the float size. On CUDA the result keeps
    the channels-last layout that the permutation gives for free (the one
    tensor cores want; the modules are channels-last there too); on the CPU
    it is made contiguous in the same single copy.
    """
    x = batch.to(device, non_blocking=True).permute(0, 3, 1, 2)
    if x.device.type == "cuda":
        x = x.to(torch.float32)
    else:
        x = x.to(torch.float32, memory_format=torch.contiguous_format)
    if batch.dtype == torch.uint8:
        x = x.mul_(1.0 / 255.0)
    return x


class ImageDataset(Dataset):
    """Channels-last images (and optional targets) served a batch at a time.

    ``DataLoader`` hands ``__getitems__`` the indices of a whole batch, so a
    batch is one fancy-indexing copy instead of per-image tensors and a
    collate.
    """

    def __init__(self, X: np.ndarray, y: np.ndarray | None = None):
        self.X = X
        self.y = y

    def __len__(self) -> int:
        return len(self.X)

    def __getitems__(self, indices):
        indices = np.asarray(indices)
        xb = _batch_tensor(self.X[indices])
        yb = None if self.y is None else torch.from_numpy(self.y[indices])
        return xb, yb

    def __getitem__(self, index):
        xb, yb = self.__getitems__([index])
        return xb[0], None if yb is None else yb[0]


def collate_batch(batch):
    """The dataset already returns whole batches."""
    return batch


class GalaxyNet(NeuralNet):
    """skorch's NeuralNet with mixed precision on CUDA and optional targets.

    Batches arrive raw (channels-last, ``uint8`` or float32) and are turned
    into the module's input on the device by :func:`network_input`. The module
    may return any structure that the criterion understands, and
    the criterion receives ``y_true=None`` when there are no targets (the
    self-supervised featurizers).
    """

    def initialize_module(self):
        super().initialize_module()
        if torch.device(self.device).type == "cuda":
            self.module_.to(memory_format=torch.channels_last)
        return self

    def torch_compile(self, module, name):
        """Compile the module's forward in place (:meth:`torch.nn.Module.compile`),
        so that its ``state_dict`` keys, checkpoints and saved files are those
        of the plain module; skorch would wrap it in another module."""
        if self.compile and name == "module":
            module.compile(**self.get_params_for("compile"))
        return module

    def infer(self, x, **fit_params):
        return self.module_(network_input(x, self.device), **fit_params)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        if y_true is not None:
            y_true = to_tensor(y_true, device=self.device)
        return self.criterion_(y_pred, y_true)

    def _grad_scaler(self, device):
        scaler = getattr(self, "_scaler", None)
        if scaler is None:
            fp16 = device.type == "cuda" and not torch.cuda.is_bf16_supported()
            scaler = self._scaler = torch.amp.GradScaler(device.type, enabled=fp16)
        return scaler

    def train_step(self, batch, **fit_params):
        device = torch.device(self.device)
        self._set_training(True)
        self._zero_grad_optimizer(set_to_none=True)
        Xi, yi = batch
        with autocast(device):
            y_pred = self.infer(Xi, **fit_params)
            loss = self.get_loss(y_pred, yi, X=Xi, training=True)
        scaler = self._grad_scaler(device)
        scaler.scale(loss).backward()
        self.notify(
            "on_grad_computed",
            named_parameters=TeeGenerator(self.get_all_learnable_params()),
            batch=batch,
            training=True,
        )
        for name in self._optimizers:
            scaler.step(getattr(self, name + "_"))
        scaler.update()
        if self.compile:
            # CUDA graphs (mode="reduce-overhead" and "max-autotune") reuse
            # their output buffers at the next step; train_acc keeps y_pred
            y_pred = _detached_copy(y_pred)
        return {"loss": loss.detach(), "y_pred": y_pred}

    def validation_step(self, batch, **fit_params):
        with autocast(torch.device(self.device)):
            return super().validation_step(batch, **fit_params)

    # The module and criterion are passed as instances, which skorch then
    # uses as module_ and criterion_. skorch pickles those (mapped to an
    # available device on load); the instances are dropped so that a pickle
    # holds the weights once and no tensor bypasses that mapping.
    _SHARED = ("module", "criterion")

    # Nothing resumes from a pickle's optimizer moments (fit starts over, or
    # from checkpoint_dir), and for Adam they double a fitted network's size:
    # a pickle holds the optimizer's settings but not its per-weight state, so
    # that Dask and joblib ship a fitted estimator at the size of its weights.
    def __getstate__(self):
        shared = [
            name
            for name in self._SHARED
            if getattr(self, name, None) is getattr(self, name + "_", self)
        ]
        optimizers = [
            getattr(self, name + "_")
            for name in getattr(self, "_optimizers", ())
            if hasattr(self, name + "_")
        ]
        moments = [optimizer.state for optimizer in optimizers]
        # a compiled forward is code, not state: it is compiled again on load
        module = getattr(self, "module_", None)
        compiled = getattr(module, "_compiled_call_impl", None)
        try:
            for optimizer in optimizers:
                optimizer.state = collections.defaultdict(dict)
            if compiled is not None:
                module._compiled_call_impl = None
            state = super().__getstate__()
        finally:
            for optimizer, kept in zip(optimizers, moments):
                optimizer.state = kept
            if compiled is not None:
                module._compiled_call_impl = compiled
        state.pop("_scaler", None)
        for name in shared:
            state[name] = None
        state["_shared_instances"] = shared
        return state

    def __setstate__(self, state):
        shared = state.pop("_shared_instances", ())
        super().__setstate__(state)
        for name in shared:
            setattr(self, name, getattr(self, name + "_"))
        if self.compile and hasattr(self, "module_"):
            self.torch_compile(self.module_, "module")


class DivergenceGuard(Callback):
    """Stop training when the loss stops being finite; keep the last good epoch.

    The weights are copied to the host at the start and after every epoch
    whose weights are all finite. A batch whose training loss is NaN or
    infinite, or an epoch that ends with non-finite weights, raises
    :class:`~galaxy_sklearn.exceptions.TrainingDivergedError`, and
    :meth:`restore` puts the last good weights back and cuts the history
    to the epochs that produced them.
    """

    def __init__(self, owner: str, lr: float):
        self.owner = owner
        self.lr = lr

    def _snapshot(self, net):
        self.good_epochs = len(net.history)
        self.good_state = {
            name: tensor.detach().to("cpu", copy=True)
            for name, tensor in net.module_.state_dict().items()
        }

    def on_train_begin(self, net, **kwargs):
        self._snapshot(net)

    def on_epoch_end(self, net, **kwargs):
        # a finite loss can still end in a step that made the weights NaN
        if not all(bool(p.isfinite().all()) for p in net.module_.parameters()):
            raise self._error(net, "the weights stopped being finite at the end of")
        self._snapshot(net)

    def on_train_end(self, net, **kwargs):
        self.good_state = None  # a fitted net does not carry a second copy

    def on_batch_end(self, net, batch=None, training=False, loss=None, **kwargs):
        if not training or loss is None or bool(torch.isfinite(loss).all()):
            return
        batch_number = len(net.history[-1, "batches"])
        value = float(loss.float().mean())
        raise self._error(
            net, f"the training loss became {value} in", f", batch {batch_number}"
        )

    def _error(self, net, what: str, where: str = "") -> TrainingDivergedError:
        epoch = len(net.history)
        if self.good_epochs:
            kept = (
                f"The weights after epoch {self.good_epochs} are kept and history_ "
                "ends there."
            )
        else:
            kept = (
                "No epoch finished with a finite loss, so the estimator is left as "
                "it was before fit."
            )
        return TrainingDivergedError(
            f"{self.owner}.fit stopped: {what} epoch {epoch}{where}. {kept} Try a "
            f"lower lr (now {self.lr}), or look for extreme pixel values in X.",
            epoch=epoch,
            good_epochs=self.good_epochs,
        )

    def restore(self, net) -> None:
        """Load the last good weights and drop the epochs after them."""
        net.module_.load_state_dict(self.good_state)
        del net.history[self.good_epochs :]
        self.good_state = None


LR_SCHEDULES = ("cosine", "constant")


class CosineSchedule(Callback):
    """Cosine decay of the learning rate from ``lr`` towards 0 over ``max_epochs``.

    Epoch ``e`` (counted from 0) trains at ``lr * (1 + cos(pi * e /
    max_epochs)) / 2``, as :class:`torch.optim.lr_scheduler.CosineAnnealingLR`
    stepped once per epoch. The rate is computed from the epoch number alone,
    so a fit resumed from a checkpoint goes on along the same curve. Each
    epoch's rate is recorded in the history as ``lr``.
    """

    def __init__(self, lr: float, max_epochs: int):
        self.lr = lr
        self.max_epochs = max_epochs

    def rate(self, epoch: int) -> float:
        return self.lr * (1 + math.cos(math.pi * epoch / self.max_epochs)) / 2

    def on_epoch_begin(self, net, **kwargs):
        # len(history) counts the epoch that is starting
        lr = self.rate(len(net.history) - 1)
        for name in net._optimizers:
            for group in getattr(net, name + "_").param_groups:
                group["lr"] = lr
        net.history.record("lr", lr)


def schedule_callbacks(schedule: str, lr: float, max_epochs: int) -> list:
    """The ``(name, callback)`` pairs of an ``lr_schedule`` parameter value."""
    if schedule == "cosine":
        return [("lr_schedule", CosineSchedule(lr, max_epochs))]
    return []


def check_lr_schedule(schedule) -> None:
    if not isinstance(schedule, str) or schedule not in LR_SCHEDULES:
        raise ValueError(
            f"lr_schedule must be one of {list(LR_SCHEDULES)}, got {schedule!r}."
        )


def n_validation(fraction: float, n: int) -> int:
    """Rows that :func:`validation_split` holds out of ``n``."""
    return min(n - 1, max(1, round(fraction * n)))


def validation_split(fraction: float, seed: int, stratify: bool):
    """A skorch ``train_split`` that holds out ``fraction`` of the rows.

    The split is stratified by ``y`` when ``stratify`` and every class can
    give at least one row to each side; otherwise it is a plain shuffle.
    """

    def split(dataset, y=None, groups=None):
        rng = np.random.RandomState(seed)
        n = len(dataset)
        n_valid = n_validation(fraction, n)
        if stratify and y is not None:
            classes, y_index, counts = np.unique(
                np.asarray(y), return_inverse=True, return_counts=True
            )
            stratify_ok = counts.min() >= 2 and len(classes) <= n_valid <= n - len(
                classes
            )
        else:
            stratify_ok = False
        if stratify_ok:
            from sklearn.model_selection import StratifiedShuffleSplit

            splitter = StratifiedShuffleSplit(1, test_size=n_valid, random_state=rng)
            train, valid = next(splitter.split(np.zeros(n), y_index))
        else:
            order = rng.permutation(n)
            train, valid = np.sort(order[n_valid:]), np.sort(order[:n_valid])
        return Subset(dataset, train), Subset(dataset, valid)

    return split


def _accuracy(net, X, y) -> float:
    # outputs may be bfloat16 (mixed precision), which numpy cannot hold
    predicted = torch.cat(
        [out.float().argmax(dim=1).cpu() for out in net.forward_iter(X, training=False)]
    )
    return float(np.mean(predicted.numpy() == np.asarray(to_numpy(y))))


def accuracy_callbacks(validation: bool) -> list:
    """``train_acc`` per epoch (on the training batches as they were seen,
    augmented) and ``valid_acc`` when there is a validation split."""
    from skorch.callbacks import EpochScoring

    callbacks = [
        (
            "train_acc",
            EpochScoring(
                _accuracy, lower_is_better=False, on_train=True, name="train_acc"
            ),
        )
    ]
    if validation:
        callbacks.append(
            (
                "valid_acc",
                EpochScoring(_accuracy, lower_is_better=False, name="valid_acc"),
            )
        )
    return callbacks


def make_net(
    module,
    criterion,
    *,
    lr: float,
    max_epochs: int,
    batch_size: int,
    device: torch.device,
    verbose: int,
    n_train: int,
    optimizer=torch.optim.AdamW,
    drop_last: bool = False,
    callbacks=(),
    train_split=None,
    compile=False,
    **kwargs,
) -> GalaxyNet:
    """A :class:`GalaxyNet` configured from an estimator's parameters.

    ``compile`` is False, True or a dict of :func:`torch.compile` keyword
    arguments.
    """
    if isinstance(compile, dict):
        kwargs.update({f"compile__{key}": value for key, value in compile.items()})
    batch_size = max(1, min(batch_size, n_train))
    # a last batch of one image breaks batch normalisation in training mode
    drop_last = drop_last or (n_train > batch_size and n_train % batch_size == 1)
    callbacks = list(callbacks)
    if verbose:
        callbacks.append(("progress_bar", ProgressBar()))
    return GalaxyNet(
        module,
        criterion=criterion,
        optimizer=optimizer,
        lr=lr,
        max_epochs=max_epochs,
        batch_size=batch_size,
        device=str(device),
        verbose=verbose,
        callbacks=callbacks,
        train_split=train_split,
        iterator_train__shuffle=True,
        iterator_train__drop_last=drop_last,
        iterator_train__collate_fn=collate_batch,
        iterator_valid__collate_fn=collate_batch,
        iterator_train__pin_memory=device.type == "cuda",
        iterator_valid__pin_memory=device.type == "cuda",
        compile=bool(compile) or isinstance(compile, dict),
        **kwargs,
    )


def predict_batches(
    fn,
    X: np.ndarray,
    *,
    batch_size: int,
    device,
    images: bool = True,
    pending_limit: int | None = None,
) -> np.ndarray:
    """Apply ``fn`` to batches of ``X`` on ``device``; gather float32 rows.

    ``fn`` receives what :func:`network_input` makes of each raw batch of
    images, or the rows as they are with ``images=False`` (latent vectors).
    Memory stays bounded by one batch plus the output array, whatever ``n``.
    Every call of ``fn`` sees exactly ``batch_size`` rows (the last batch is
    padded with repeats), so an image's output does not depend on which other
    images share its batch: kernels pick their algorithm by batch shape.

    On CUDA, batches go through pinned memory and outputs stay on the device
    until more than ``pending_limit`` bytes are waiting (default 64 MiB), so
    the host does not wait for the GPU after every batch; on the CPU each
    batch is written out at once (default 0).
    """
    device = torch.device(device)
    on_gpu = device.type == "cuda"
    if pending_limit is None:
        pending_limit = 64 * 2**20 if on_gpu else 0
    out, pending, pending_bytes = None, [], 0

    def flush():
        nonlocal pending_bytes
        for start, result in pending:
            out[start : start + len(result)] = result.cpu().numpy()
        pending.clear()
        pending_bytes = 0

    with torch.inference_mode(), autocast(device):
        for start in range(0, len(X), batch_size):
            batch = X[start : start + batch_size]
            n = len(batch)
            if n < batch_size:
                repeats = np.arange(batch_size - n) % len(X)
                batch = np.concatenate([batch, X[repeats]])
            xb = _batch_tensor(batch)
            if on_gpu:
                xb = xb.pin_memory()
            if images:
                xb = network_input(xb, device)
            else:
                xb = xb.to(device, non_blocking=True)
            result = fn(xb)[:n].float()
            if out is None:
                out = np.empty((len(X), *result.shape[1:]), dtype=np.float32)
            pending.append((start, result))
            pending_bytes += result.numel() * 4
            if pending_bytes > pending_limit:
                flush()
        flush()
    return out
