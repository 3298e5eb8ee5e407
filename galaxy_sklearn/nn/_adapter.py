"""From a batch of scaled channels-first images to what a network wants.

The training engine turns raw channels-last batches into channels-first
float32 on the device (:func:`galaxy_sklearn._engine.network_input`); every
module of the package takes that, as a plain PyTorch module would, and starts
with an :class:`ImageInput` that standardises the bands.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ._align import align_major_axis


class ImageInput(nn.Module):
    """Standardise the bands of a scaled ``(n, C, H, W)`` float batch.

    Scaled means ``uint8`` pixels divided by 255 and other pixel values as
    they are.

    Parameters
    ----------
    mean, std : sequence of float
        Per-channel statistics of the scaled training images.
    min_size : int, default=1
        Images smaller than this on either side are enlarged (nearest
        neighbour) to it, so that every backbone accepts tiny inputs.
    align : bool, default=False
        Rotate each galaxy's major axis onto the x axis first
        (:func:`align_major_axis`); see :meth:`aligned`.

    Examples
    --------
    >>> import torch
    >>> adapter = ImageInput(mean=[0.5], std=[0.25])
    >>> x = torch.ones(2, 1, 4, 4)
    >>> adapter(x).shape, float(adapter(x)[0, 0, 0, 0])
    (torch.Size([2, 1, 4, 4]), 2.0)
    """

    def __init__(self, mean, std, min_size: int = 1, align: bool = False):
        super().__init__()
        self.align = bool(align)
        mean = torch.as_tensor(mean, dtype=torch.float32).reshape(1, -1, 1, 1)
        std = torch.as_tensor(std, dtype=torch.float32).reshape(1, -1, 1, 1)
        self.register_buffer("mean", mean)
        self.register_buffer("std", std.clamp_min(1e-6))
        self.min_size = int(min_size)

    def normalize(self, x: torch.Tensor) -> torch.Tensor:
        """Standardise channels and enlarge images below ``min_size``."""
        x = (x - self.mean) / self.std
        height, width = x.shape[-2:]
        if min(height, width) < self.min_size:
            size = (max(height, self.min_size), max(width, self.min_size))
            x = F.interpolate(x, size=size, mode="nearest")
        return x

    def aligned(self, x: torch.Tensor) -> torch.Tensor:
        """The scaled batch with each galaxy's major axis along x, if ``align``."""
        return align_major_axis(x) if self.align else x

    def denormalize(self, x: torch.Tensor) -> torch.Tensor:
        """Undo the standardisation."""
        return x * self.std + self.mean

    def extra_repr(self) -> str:
        return f"min_size={self.min_size}, align={self.align}"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.normalize(self.aligned(x))
