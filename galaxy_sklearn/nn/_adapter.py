"""From a raw channels-last batch to what a network wants, on the device."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class ImageInput(nn.Module):
    """Turn a raw ``(n, H, W, C)`` batch into standardised ``(n, C, H, W)`` floats.

    The conversion runs on the batch's device, so ``uint8`` images travel to
    the GPU at a quarter of the float size.

    Parameters
    ----------
    mean, std : sequence of float
        Per-channel statistics of the scaled training images.
    min_size : int, default=1
        Images smaller than this on either side are enlarged (nearest
        neighbour) to it, so that every backbone accepts tiny inputs.

    Examples
    --------
    >>> import torch
    >>> adapter = ImageInput(mean=[0.5], std=[0.25])
    >>> x = torch.full((2, 4, 4, 1), 255, dtype=torch.uint8)
    >>> adapter(x).shape, float(adapter(x)[0, 0, 0, 0])
    (torch.Size([2, 1, 4, 4]), 2.0)
    """

    def __init__(self, mean, std, min_size: int = 1):
        super().__init__()
        mean = torch.as_tensor(mean, dtype=torch.float32).reshape(1, -1, 1, 1)
        std = torch.as_tensor(std, dtype=torch.float32).reshape(1, -1, 1, 1)
        self.register_buffer("mean", mean)
        self.register_buffer("std", std.clamp_min(1e-6))
        self.min_size = int(min_size)

    def prepare(self, x: torch.Tensor) -> torch.Tensor:
        """Channels-first float32, uint8 scaled to [0, 1]."""
        scale = 1.0 / 255.0 if x.dtype == torch.uint8 else 1.0
        x = x.permute(0, 3, 1, 2).to(torch.float32)
        return x * scale if scale != 1.0 else x

    def normalize(self, x: torch.Tensor) -> torch.Tensor:
        """Standardise channels and enlarge images below ``min_size``."""
        x = (x - self.mean) / self.std
        height, width = x.shape[-2:]
        if min(height, width) < self.min_size:
            size = (max(height, self.min_size), max(width, self.min_size))
            x = F.interpolate(x, size=size, mode="nearest")
        return x

    def denormalize(self, x: torch.Tensor) -> torch.Tensor:
        """Undo the standardisation (not the scaling of uint8)."""
        return x * self.std + self.mean

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.normalize(self.prepare(x))
