"""What the supervised CNNs share: starting weights, freezing, the network."""

from __future__ import annotations

import copy
import numbers
import os

import torch
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import Callback
from torch import nn

from ._base import GalaxyEstimatorMixin
from ._engine import check_lr_schedule, schedule_callbacks
from .nn import (
    ImageInput,
    build_backbone,
    load_backbone_weights,
    make_augmentation,
    read_state_dict,
)

_IMAGENET_MEAN = (0.485, 0.456, 0.406)
_IMAGENET_STD = (0.229, 0.224, 0.225)


class SupervisedNet(nn.Module):
    """Scaled channels-first batches in, ``output(head(backbone(x)))`` out.

    While ``frozen`` the backbone gets no gradients and stays in eval mode
    (its batch-norm statistics fixed): a linear probe.
    """

    def __init__(
        self, image_input, backbone, head, output=None, augmentation=None, freeze=False
    ):
        super().__init__()
        self.image_input = image_input
        self.backbone = backbone
        self.augmentation = augmentation
        self.head = head
        self.output = output if output is not None else nn.Identity()
        self.set_frozen(freeze)

    def set_frozen(self, frozen: bool) -> None:
        self.frozen = bool(frozen)
        for param in self.backbone.parameters():
            param.requires_grad = not self.frozen
        self.train(self.training)

    def train(self, mode: bool = True):
        super().train(mode)
        if getattr(self, "frozen", False):
            self.backbone.eval()
        return self

    def forward(self, x):
        if self.augmentation is not None:
            x = self.augmentation(x)
        return self.output(self.head(self.backbone(self.image_input.normalize(x))))

    def proba(self, x):
        return torch.softmax(self(x).float(), dim=1)


class UnfreezeBackbone(Callback):
    """Train the head alone for ``epochs`` epochs, then the whole network."""

    def __init__(self, epochs: int):
        self.epochs = epochs

    def on_epoch_begin(self, net, **kwargs):
        # len(history) counts the epoch that is starting
        net.module_.set_frozen(len(net.history) <= self.epochs)


class SupervisedCNNMixin(GalaxyEstimatorMixin):
    """Backbone, ``pretrained`` and ``freeze`` handling (not public)."""

    def _check_params(self):
        super()._check_params()
        make_augmentation(self.augmentation)
        check_lr_schedule(self.lr_schedule)
        freeze = self.freeze
        if not isinstance(freeze, (bool, numbers.Integral)) or freeze < 0:
            raise ValueError(
                "freeze must be True, False or a number of epochs to train the "
                f"head alone before unfreezing; got {freeze!r}."
            )
        fraction = self.validation_fraction
        if fraction is not None and not (
            isinstance(fraction, numbers.Real) and 0 < fraction < 1
        ):
            raise ValueError(
                f"validation_fraction must be None or in (0, 1), got {fraction!r}."
            )
        pretrained = self.pretrained
        if pretrained is None or pretrained == "imagenet":
            return
        if hasattr(pretrained, "net_") or hasattr(pretrained, "get_params"):
            check_is_fitted(pretrained)
            if getattr(pretrained, "backbone", None) != self.backbone:
                raise ValueError(
                    f"pretrained is a featurizer with backbone "
                    f"{getattr(pretrained, 'backbone', None)!r}, but this estimator "
                    f"uses backbone={self.backbone!r}; they must match."
                )
        elif not isinstance(pretrained, (str, os.PathLike)):
            raise ValueError(
                "pretrained must be None, 'imagenet', a path or URL of a state dict, "
                f"or a fitted MoCoFeaturizer; got {type(pretrained).__name__}."
            )

    def _frozen_at_start(self) -> bool:
        return self.freeze is True or (self.freeze is not False and self.freeze > 0)

    def _callbacks(self):
        callbacks = schedule_callbacks(self.lr_schedule, self.lr, self.max_epochs)
        freeze = self.freeze
        if not (isinstance(freeze, bool) or freeze == 0):
            callbacks.append(("unfreeze_backbone", UnfreezeBackbone(int(freeze))))
        return callbacks

    def _pretrained_backbone(self, images) -> tuple[ImageInput, nn.Module]:
        """The input adapter and backbone that training starts from."""
        pretrained = self.pretrained
        n_bands, size = images.shape[-1], min(images.shape[1:3])
        if hasattr(pretrained, "net_"):
            source = pretrained.net_.module_
            if tuple(pretrained.image_shape_[2:]) != (n_bands,):
                raise ValueError(
                    f"pretrained was fitted on images with {pretrained.image_shape_[2]}"
                    f" bands, but X has {n_bands}."
                )
            # a fresh backbone with the pretrained weights: MoCo switches
            # dropout off in its own copy, and fine-tuning wants it back
            backbone = build_backbone(
                self.backbone, n_bands, min(pretrained.image_shape_[:2])
            )
            backbone.load_state_dict(source.backbone.state_dict())
            image_input = copy.deepcopy(source.image_input)
            # the classifier takes galaxies as they come (its augmentation
            # rotates them), whatever orientation the featurizer trained on
            image_input.align = False
            return image_input, backbone
        imagenet = pretrained == "imagenet"
        backbone = build_backbone(
            self.backbone, n_bands, size, "imagenet" if imagenet else None
        )
        if imagenet and n_bands == 3:
            image_input = ImageInput(
                _IMAGENET_MEAN, _IMAGENET_STD, min_size=backbone.min_size
            )
        else:
            image_input = self._image_input(images, min_size=backbone.min_size)
        if pretrained is not None and not imagenet:
            state = read_state_dict(pretrained, progress=bool(self.verbose))
            load_backbone_weights(backbone, state)
        return image_input, backbone

    def _supervised_net(self, images, head_outputs, output=None, head_bias=None):
        image_input, backbone = self._pretrained_backbone(images)
        head = nn.Linear(backbone.out_features, head_outputs)
        if head_bias is not None:
            with torch.no_grad():
                head.bias.copy_(torch.as_tensor(head_bias))
        return SupervisedNet(
            image_input,
            backbone,
            head,
            output=output,
            augmentation=make_augmentation(self.augmentation),
            freeze=self._frozen_at_start(),
        )
