"""Feature-extracting backbones behind one registry.

A backbone is a plain ``nn.Module`` that maps standardised ``(n, C, H, W)``
images to ``(n, out_features)`` features; it carries ``out_features`` and
``min_size`` (the smallest side it accepts) as attributes.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

__all__ = ["BACKBONES", "build_backbone", "register_backbone"]

BACKBONES: dict[str, Callable[..., nn.Module]] = {}


def register_backbone(name: str):
    """Register a backbone builder under ``name`` (a decorator).

    The builder is called as ``builder(in_channels, image_size, pretrained)``
    where ``pretrained`` is ``None`` or ``"imagenet"``, and returns an
    ``nn.Module`` with ``out_features`` and ``min_size`` attributes.

    Examples
    --------
    >>> from torch import nn
    >>> @register_backbone("tiny_mlp")
    ... def tiny_mlp(in_channels, image_size, pretrained=None):
    ...     net = nn.Sequential(nn.Flatten(), nn.LazyLinear(8))
    ...     net.out_features, net.min_size = 8, 1
    ...     return net
    >>> "tiny_mlp" in BACKBONES
    True
    >>> del BACKBONES["tiny_mlp"]
    """

    def decorator(builder):
        BACKBONES[name] = builder
        return builder

    return decorator


def build_backbone(
    name: str, in_channels: int, image_size: int, pretrained: str | None = None
) -> nn.Module:
    """Build the backbone registered as ``name`` for the given images.

    Parameters
    ----------
    name : str
        A key of :data:`BACKBONES`: ``"simple_cnn"``, ``"resnet18"``,
        ``"resnet50"``, ``"vgg16"``, ``"inception_v3"``, ``"xception"`` (needs
        the ``timm`` package) or one registered with :func:`register_backbone`.
    in_channels : int
        Number of image bands.
    image_size : int
        Smaller side of the images after any enlargement to ``min_size``.
    pretrained : {None, "imagenet"}, default=None
        ``"imagenet"`` loads torchvision's weights (downloaded once by
        torchvision; needs the network).

    Returns
    -------
    backbone : nn.Module

    Examples
    --------
    >>> import torch
    >>> net = build_backbone("simple_cnn", in_channels=3, image_size=32)
    >>> net(torch.zeros(2, 3, 32, 32)).shape
    torch.Size([2, 60])
    """
    if name not in BACKBONES:
        raise ValueError(
            f"Unknown backbone {name!r}; expected one of {sorted(BACKBONES)}."
        )
    if pretrained not in (None, "imagenet"):
        raise ValueError(f"pretrained must be None or 'imagenet', got {pretrained!r}.")
    return BACKBONES[name](in_channels, image_size, pretrained)


class SimpleCNN(nn.Module):
    """The Galaxy10 CNN: conv64, conv64, pool, conv128, pool, conv256, pool,
    dropout 0.5, dense 150 tanh, dense 60 tanh.

    Parameters
    ----------
    in_channels : int
        Number of image bands.
    image_size : int
        Side of the (square) input images; sets the size of the first dense
        layer.

    Examples
    --------
    >>> import torch
    >>> SimpleCNN(in_channels=3, image_size=69)(torch.zeros(2, 3, 69, 69)).shape
    torch.Size([2, 60])
    """

    min_size = 8
    out_features = 60

    def __init__(self, in_channels: int = 3, image_size: int = 69):
        super().__init__()

        def conv(c_in, c_out):
            return [nn.Conv2d(c_in, c_out, 3, padding=1), nn.ReLU(inplace=True)]

        self.features = nn.Sequential(
            *conv(in_channels, 64),
            *conv(64, 64),
            nn.MaxPool2d(2),
            *conv(64, 128),
            nn.MaxPool2d(2),
            *conv(128, 256),
            nn.MaxPool2d(2),
        )
        side = max(image_size, self.min_size) // 8
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(0.5),
            nn.Linear(256 * side * side, 150),
            nn.Tanh(),
            nn.Linear(150, 60),
            nn.Tanh(),
        )
        self.side = side

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)
        if x.shape[-1] != self.side or x.shape[-2] != self.side:
            # non-square or other-size inputs: pool to the size the head expects
            x = nn.functional.adaptive_avg_pool2d(x, self.side)
        return self.head(x)


@register_backbone("simple_cnn")
def _simple_cnn(in_channels, image_size, pretrained=None):
    if pretrained is not None:
        raise ValueError("simple_cnn has no ImageNet weights; use pretrained=None.")
    return SimpleCNN(in_channels, image_size)


def _stem_stride(image_size: int) -> int:
    """Downsampling before ``layer1`` that leaves a final map of about 2x2.

    torchvision's ImageNet stem divides by 4, which leaves a 32 px galaxy a
    1x1 map; smaller images get a gentler stem instead. From 64 px on it is
    the ImageNet stem: a gentler one (a 4x4 map) costs four times the compute
    and, on Galaxy Zoo 2 at 64 px, MoCo features were worse at equal CPU time
    (benchmarks/real_data.py --ablations).
    """
    return int(min(4, max(1, 2 ** round(math.log2(max(image_size, 1) / 16)))))


def _first_conv(conv: nn.Conv2d, in_channels: int, pretrained) -> nn.Conv2d:
    """``conv`` for ``in_channels`` bands; pretrained RGB filters are spread
    over the bands, keeping the response scale."""
    if conv.in_channels == in_channels:
        return conv
    new = nn.Conv2d(
        in_channels,
        conv.out_channels,
        conv.kernel_size,
        stride=conv.stride,
        padding=conv.padding,
        bias=conv.bias is not None,
    )
    if pretrained is not None:
        with torch.no_grad():
            new.weight.copy_(
                conv.weight.mean(1, keepdim=True).repeat(1, in_channels, 1, 1)
                * (3 / in_channels)
            )
            if conv.bias is not None:
                new.bias.copy_(conv.bias)
    return new


def _adapt_resnet(model, in_channels, image_size, pretrained):
    if pretrained is None and _stem_stride(image_size) < 4:
        model.conv1 = nn.Conv2d(in_channels, 64, 3, stride=1, padding=1, bias=False)
        if _stem_stride(image_size) == 1:
            model.maxpool = nn.Identity()
    else:
        model.conv1 = _first_conv(model.conv1, in_channels, pretrained)
    model.out_features = model.fc.in_features
    model.fc = nn.Identity()
    model.min_size = 8
    return model


def _load_imagenet(model: nn.Module, arch: str, pretrained) -> nn.Module:
    """Copy torchvision's ImageNet weights for ``arch`` into ``model``.

    torchvision's downloader checks the SHA-256 prefix in the file name; the
    file is read with ``weights_only=True`` (``torch.hub`` would unpickle it).
    """
    if pretrained == "imagenet":
        import torchvision.models as tvm

        weights = tvm.get_model_weights(arch).DEFAULT
        model.load_state_dict(
            weights.get_state_dict(progress=True, check_hash=True, weights_only=True)
        )
    return model


def _torchvision_resnet(arch: str):
    def builder(in_channels, image_size, pretrained=None):
        import torchvision.models as tvm

        model = _load_imagenet(tvm.get_model(arch, weights=None), arch, pretrained)
        return _adapt_resnet(model, in_channels, image_size, pretrained)

    return builder


register_backbone("resnet18")(_torchvision_resnet("resnet18"))
register_backbone("resnet50")(_torchvision_resnet("resnet50"))


@register_backbone("vgg16")
def _vgg16(in_channels, image_size, pretrained=None):
    """torchvision's VGG16 convolutions, global average pooled to 512 features.

    Its three dense layers (120M of VGG16's 138M weights) are left out: on
    galaxy images they add cost, not accuracy, and pooled features let any
    image size through.
    """
    import torchvision.models as tvm

    model = _load_imagenet(tvm.vgg16(weights=None), "vgg16", pretrained)
    model.features[0] = _first_conv(model.features[0], in_channels, pretrained)
    net = nn.Sequential(model.features, nn.AdaptiveAvgPool2d(1), nn.Flatten())
    net.out_features, net.min_size = 512, 32
    return net


@register_backbone("inception_v3")
def _inception_v3(in_channels, image_size, pretrained=None):
    """torchvision's Inception v3 without its auxiliary head; images are
    enlarged to its smallest input, 75 px."""
    import torchvision.models as tvm

    imagenet = pretrained == "imagenet"
    # ImageNet weights come with the auxiliary classifier; it is dropped after
    model = tvm.inception_v3(
        weights=None,
        aux_logits=imagenet,
        transform_input=False,
        init_weights=not imagenet,
    )
    _load_imagenet(model, "inception_v3", pretrained)
    model.aux_logits, model.AuxLogits = False, None
    stem = model.Conv2d_1a_3x3
    stem.conv = _first_conv(stem.conv, in_channels, pretrained)
    model.out_features = model.fc.in_features
    model.fc = nn.Identity()
    model.min_size = 75
    return model


@register_backbone("xception")
def _xception(in_channels, image_size, pretrained=None):
    """Chollet's Xception from ``timm`` (``legacy_xception``); images are
    enlarged to 71 px."""
    try:
        import timm
    except ImportError:
        raise ImportError(
            "The xception backbone comes from the timm package: pip install timm "
            "(or galaxy-sklearn[zoo])."
        ) from None
    model = timm.create_model(
        "legacy_xception",
        pretrained=pretrained == "imagenet",
        in_chans=in_channels,
        num_classes=0,
    )
    model.out_features, model.min_size = model.num_features, 71
    return model
