"""Plain PyTorch modules: backbones, the autoencoder, MoCo, augmentations.

Nothing here knows about scikit-learn; the estimators are thin faces over
these modules.
"""

from ._adapter import ImageInput
from ._align import align_major_axis, major_axis_angle
from ._augment import GalaxyAugmentation, make_augmentation
from ._autoencoder import ConvAutoencoder
from ._backbones import BACKBONES, SimpleCNN, build_backbone, register_backbone
from ._gz2 import GZ2_TREE, GZ2DecisionTree
from ._moco import MoCo, projection_head
from ._weights import load_backbone_weights, read_state_dict

__all__ = [
    "BACKBONES",
    "ConvAutoencoder",
    "GZ2DecisionTree",
    "GZ2_TREE",
    "GalaxyAugmentation",
    "ImageInput",
    "MoCo",
    "SimpleCNN",
    "align_major_axis",
    "build_backbone",
    "load_backbone_weights",
    "major_axis_angle",
    "make_augmentation",
    "projection_head",
    "read_state_dict",
    "register_backbone",
]
