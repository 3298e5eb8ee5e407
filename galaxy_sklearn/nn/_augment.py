"""Batched galaxy augmentations that run on the batch's device.

Each image of a batch gets its own random parameters, drawn with one tensor
operation per kind of transform: no per-image Python loop, no PIL. The
geometric part is a single ``affine_grid``/``grid_sample`` that combines an
any-angle rotation, flips, an isotropic zoom and a small shift. Zooms are
isotropic on purpose: a crop that changes the aspect ratio changes a galaxy's
apparent ellipticity, the very cue that separates round, in-between and
cigar-shaped smooth galaxies. No hue shifts either: colour tells bulges from
discs. Pixels that a rotation or zoom brings in from outside the cutout are
zero (sky-subtracted, no light): mirrored padding would copy a galaxy's wings
into the corners and change its measured shape.
"""

from __future__ import annotations

import copy
import math

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["GalaxyAugmentation", "make_augmentation"]


class GalaxyAugmentation(nn.Module):
    """Random rotation, flips, zoom, shift, blur, noise and brightness.

    Applied to float ``(n, C, H, W)`` batches on any device; active only in
    training mode (an ``eval()`` module returns its input unchanged).

    Parameters
    ----------
    rotation : bool, default=True
        Rotate by a uniform angle in [0, 360) degrees.
    flip : bool, default=True
        Mirror half of the images (with rotation, this covers all flips).
    zoom : tuple of float, default=(0.8, 1.2)
        Range of the isotropic scale factor (>1 zooms in, a resized crop).
    shift : float, default=0.05
        Largest shift as a fraction of the image size.
    aspect : tuple of float, default=(1.0, 1.0)
        Range of a log-uniform aspect-ratio jitter of the zoom. Off by
        default: it changes a galaxy's apparent axis ratio (kept for
        ablations, as in the ``RandomResizedCrop`` of MoCo v2).
    blur : float, default=0.5
        Probability of a Gaussian blur with sigma drawn in ``blur_sigma``.
    blur_sigma : tuple of float, default=(0.1, 1.0)
        Range of the blur's sigma in pixels.
    noise : float, default=0.03
        Largest standard deviation of added Gaussian noise, relative to each
        image's own standard deviation.
    brightness : float, default=0.2
        Images are multiplied by a factor drawn in ``[1 - b, 1 + b]``.

    Examples
    --------
    >>> import torch
    >>> aug = GalaxyAugmentation()
    >>> x = torch.rand(4, 3, 16, 16)
    >>> aug(x).shape
    torch.Size([4, 3, 16, 16])
    >>> torch.equal(aug.eval()(x), x)
    True
    """

    def __init__(
        self,
        rotation: bool = True,
        flip: bool = True,
        zoom: tuple[float, float] = (0.8, 1.2),
        shift: float = 0.05,
        aspect: tuple[float, float] = (1.0, 1.0),
        blur: float = 0.5,
        blur_sigma: tuple[float, float] = (0.1, 1.0),
        noise: float = 0.03,
        brightness: float = 0.2,
    ):
        super().__init__()
        self.rotation = rotation
        self.flip = flip
        self.zoom = tuple(zoom)
        self.shift = shift
        self.aspect = tuple(aspect)
        if len(self.aspect) != 2 or not 0 < self.aspect[0] <= self.aspect[1]:
            raise ValueError(
                f"aspect must be a range (low, high) with 0 < low <= high, got "
                f"{aspect!r}."
            )
        self.blur = blur
        self.blur_sigma = tuple(blur_sigma)
        self.noise = noise
        self.brightness = brightness

    def extra_repr(self) -> str:
        return (
            f"rotation={self.rotation}, flip={self.flip}, zoom={self.zoom}, "
            f"shift={self.shift}, aspect={self.aspect}, blur={self.blur}, "
            f"noise={self.noise}, brightness={self.brightness}"
        )

    @staticmethod
    def _uniform(n, low, high, like):
        return torch.rand(n, device=like.device, dtype=like.dtype) * (high - low) + low

    def _geometric(self, x: torch.Tensor) -> torch.Tensor:
        n = x.shape[0]
        angle = (
            self._uniform(n, 0.0, 2 * math.pi, x)
            if self.rotation
            else torch.zeros(n, device=x.device, dtype=x.dtype)
        )
        scale = 1.0 / self._uniform(n, self.zoom[0], self.zoom[1], x)
        mirror = (
            torch.where(torch.rand(n, device=x.device) < 0.5, -1.0, 1.0).to(x.dtype)
            if self.flip
            else torch.ones(n, device=x.device, dtype=x.dtype)
        )
        ratio = torch.ones(n, device=x.device, dtype=x.dtype)
        if self.aspect != (1.0, 1.0):
            low, high = math.log(self.aspect[0]), math.log(self.aspect[1])
            ratio = torch.exp(self._uniform(n, low, high, x)).sqrt()
        cos, sin = torch.cos(angle) * scale, torch.sin(angle) * scale
        sx, sy = mirror * ratio, 1.0 / ratio
        theta = torch.stack(
            [
                torch.stack(
                    [cos * sx, -sin * sy, self._uniform(n, -1, 1, x) * 2 * self.shift],
                    1,
                ),
                torch.stack(
                    [sin * sx, cos * sy, self._uniform(n, -1, 1, x) * 2 * self.shift], 1
                ),
            ],
            1,
        )
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        return F.grid_sample(x, grid, padding_mode="zeros", align_corners=False)

    def _blur(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        sigma = self._uniform(n, *self.blur_sigma, x)
        sigma = torch.where(torch.rand(n, device=x.device) < self.blur, sigma, 0.0)
        radius = max(1, math.ceil(3 * self.blur_sigma[1]))
        offsets = torch.arange(-radius, radius + 1, device=x.device, dtype=x.dtype)
        kernel = torch.exp(-0.5 * (offsets / sigma.clamp_min(1e-3)[:, None]) ** 2)
        kernel = kernel / kernel.sum(1, keepdim=True)  # sigma 0 gives a delta
        kernel = kernel.repeat_interleave(c, 0)  # one kernel per (image, band)
        size = 2 * radius + 1
        flat = x.reshape(1, n * c, h, w)
        flat = F.conv2d(
            F.pad(flat, (radius, radius, 0, 0), mode="replicate"),
            kernel.view(n * c, 1, 1, size),
            groups=n * c,
        )
        flat = F.conv2d(
            F.pad(flat, (0, 0, radius, radius), mode="replicate"),
            kernel.view(n * c, 1, size, 1),
            groups=n * c,
        )
        return flat.view(n, c, h, w)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return x
        n = x.shape[0]
        if (
            self.rotation
            or self.flip
            or self.shift
            or self.zoom != (1.0, 1.0)
            or self.aspect != (1.0, 1.0)
        ):
            x = self._geometric(x)
        if self.blur > 0:
            x = self._blur(x)
        if self.brightness > 0:
            factor = self._uniform(n, 1 - self.brightness, 1 + self.brightness, x)
            x = x * factor.view(n, 1, 1, 1)
        if self.noise > 0:
            level = self._uniform(n, 0.0, self.noise, x).view(n, 1, 1, 1)
            # a one-pixel image has no spread (std would be NaN)
            spread = x.std(dim=(1, 2, 3), keepdim=True).nan_to_num(0.0)
            x = x + torch.randn_like(x) * level * spread
        return x


_PRESETS = {
    "galaxy": {},
    "geometric": {"blur": 0.0, "noise": 0.0, "brightness": 0.0, "zoom": (0.9, 1.1)},
}


def make_augmentation(augmentation) -> nn.Module | None:
    """Resolve an ``augmentation`` parameter into a module (or None).

    Parameters
    ----------
    augmentation : {None, "galaxy", "geometric"} or nn.Module
        ``"galaxy"``: every transform of :class:`GalaxyAugmentation` (the
        contrastive default); ``"geometric"``: rotation, flips, a mild zoom
        and shift only (for supervised training); a module is used as given
        (a copy of it).

    Examples
    --------
    >>> make_augmentation("geometric").blur
    0.0
    >>> make_augmentation(None) is None
    True
    """
    if augmentation is None:
        return None
    if isinstance(augmentation, str):
        if augmentation not in _PRESETS:
            raise ValueError(
                f"augmentation must be None, one of {sorted(_PRESETS)} or an "
                f"nn.Module, got {augmentation!r}."
            )
        return GalaxyAugmentation(**_PRESETS[augmentation])
    if isinstance(augmentation, nn.Module):
        return copy.deepcopy(augmentation)
    raise ValueError(
        f"augmentation must be None, one of {sorted(_PRESETS)} or an nn.Module, "
        f"got {type(augmentation).__name__}."
    )
