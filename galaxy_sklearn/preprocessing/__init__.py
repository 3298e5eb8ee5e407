"""Stateless image transformers for Pipelines: crops, resizing and stretches."""

from ._crop import CenterCropResize, center_crop_resize
from ._stretch import AsinhStretch, PercentileStretch, lupton_asinh

__all__ = [
    "AsinhStretch",
    "CenterCropResize",
    "PercentileStretch",
    "center_crop_resize",
    "lupton_asinh",
]
