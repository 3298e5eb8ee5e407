"""Stateless image transformers for Pipelines: crops, resizing, stretches and
alignment."""

from ._align import AlignMajorAxis
from ._crop import CenterCropResize, center_crop_resize
from ._stretch import AsinhStretch, PercentileStretch, lupton_asinh

__all__ = [
    "AlignMajorAxis",
    "AsinhStretch",
    "CenterCropResize",
    "PercentileStretch",
    "center_crop_resize",
    "lupton_asinh",
]
