"""MoCo v2: a query encoder, a momentum key encoder and a queue of negatives.

He et al. 2020 (arXiv:1911.05722) and Chen et al. 2020 (arXiv:2003.04297).
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn


def projection_head(in_features: int, out_features: int = 128) -> nn.Module:
    """MoCo v2's two-layer MLP projection head.

    Examples
    --------
    >>> import torch
    >>> projection_head(512, 128)(torch.zeros(4, 512)).shape
    torch.Size([4, 128])
    """
    return nn.Sequential(
        nn.Linear(in_features, in_features),
        nn.ReLU(inplace=True),
        nn.Linear(in_features, out_features),
    )


class MoCo(nn.Module):
    """Momentum contrast around any backbone.

    ``forward(x)`` takes a scaled ``(n, C, H, W)`` float batch, draws two
    augmented views, and returns the InfoNCE ``(logits, labels)``: for each
    query, its own key (index 0) against the queue's negatives. It also
    advances the momentum encoder and the queue, as in the reference
    implementation.

    Parameters
    ----------
    image_input : ImageInput
        Aligns (if asked) and standardises the bands; each augmented view
        goes through it.
    backbone : nn.Module
        Feature extractor with an ``out_features`` attribute.
    augmentation : nn.Module
        Draws a random view of a float batch.
    projection_dim : int, default=128
        Size of the contrastive embedding.
    queue_size : int, default=4096
        Number of negative keys kept.
    momentum : float, default=0.99
        Momentum of the key encoder's moving average.
    temperature : float, default=0.2
        InfoNCE temperature.

    Examples
    --------
    >>> import torch
    >>> from galaxy_sklearn.nn import GalaxyAugmentation, ImageInput, build_backbone
    >>> moco = MoCo(ImageInput([0.1], [0.2], min_size=8),
    ...             build_backbone("simple_cnn", 1, 16), GalaxyAugmentation(),
    ...             queue_size=32)
    >>> logits, labels = moco(torch.rand(8, 1, 16, 16))
    >>> logits.shape, int(labels.sum())
    (torch.Size([8, 33]), 0)
    """

    def __init__(
        self,
        image_input: nn.Module,
        backbone: nn.Module,
        augmentation: nn.Module,
        projection_dim: int = 128,
        queue_size: int = 4096,
        momentum: float = 0.99,
        temperature: float = 0.2,
    ):
        super().__init__()
        for layer in backbone.modules():
            if isinstance(layer, nn.Dropout):
                # dropout masks would make the two views of a galaxy differ
                # by noise that no augmentation asked for
                layer.p = 0.0
        self.image_input = image_input
        self.augmentation = augmentation
        self.encoder_q = nn.Sequential(
            backbone, projection_head(backbone.out_features, projection_dim)
        )
        self.encoder_k = copy.deepcopy(self.encoder_q)
        for param in self.encoder_k.parameters():
            param.requires_grad = False
        self.momentum = momentum
        self.temperature = temperature
        self.register_buffer(
            "queue", F.normalize(torch.randn(queue_size, projection_dim), dim=1)
        )
        self.register_buffer("queue_ptr", torch.zeros((), dtype=torch.long))

    @property
    def backbone(self) -> nn.Module:
        return self.encoder_q[0]

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Backbone features of a batch (no augmentation)."""
        return self.backbone(self.image_input(x))

    @torch.no_grad()
    def _momentum_update(self) -> None:
        for p_k, p_q in zip(self.encoder_k.parameters(), self.encoder_q.parameters()):
            p_k.mul_(self.momentum).add_(p_q.detach(), alpha=1 - self.momentum)

    @torch.no_grad()
    def _enqueue(self, keys: torch.Tensor) -> None:
        size = self.queue.shape[0]
        keys = keys[-size:].to(self.queue.dtype)
        idx = (self.queue_ptr + torch.arange(len(keys), device=keys.device)) % size
        self.queue[idx] = keys
        self.queue_ptr.copy_((self.queue_ptr + len(keys)) % size)

    def forward(self, x: torch.Tensor):
        # each view is aligned after it is drawn, as transform aligns images:
        # the views differ by flips, zoom, blur, noise, never by orientation
        view_q = self.image_input(self.augmentation(x))
        view_k = self.image_input(self.augmentation(x))
        q = F.normalize(self.encoder_q(view_q), dim=1)
        if self.training:
            self._momentum_update()
        with torch.no_grad():
            k = F.normalize(self.encoder_k(view_k), dim=1)
        positive = (q * k).sum(1, keepdim=True)
        negative = q @ self.queue.clone().detach().T
        logits = torch.cat([positive, negative], dim=1) / self.temperature
        labels = torch.zeros(len(q), dtype=torch.long, device=q.device)
        if self.training:
            self._enqueue(k)
        return logits, labels
