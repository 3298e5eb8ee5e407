"""A convolutional autoencoder for images of any size."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def _block(c_in: int, c_out: int, stride: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.LeakyReLU(0.1, inplace=True),
    )


class ConvAutoencoder(nn.Module):
    """Strided-convolution encoder to a latent vector and a mirrored decoder.

    Images are zero-padded to a multiple of ``2 ** len(channels)`` on the way
    in and cropped back on the way out, so any size works.

    Parameters
    ----------
    in_channels : int
        Number of image bands.
    image_size : tuple of int
        ``(height, width)`` of the images.
    latent_dim : int, default=64
        Size of the latent vector.
    channels : tuple of int, default=(32, 64, 128)
        Feature maps per downsampling stage.

    Examples
    --------
    >>> import torch
    >>> ae = ConvAutoencoder(3, (28, 30), latent_dim=8)
    >>> z = ae.encode(torch.zeros(2, 3, 28, 30))
    >>> z.shape, ae.decode(z).shape
    (torch.Size([2, 8]), torch.Size([2, 3, 28, 30]))
    """

    def __init__(self, in_channels, image_size, latent_dim=64, channels=(32, 64, 128)):
        super().__init__()
        factor = 2 ** len(channels)
        self.image_size = tuple(image_size)
        self.padded = tuple(-(-s // factor) * factor for s in self.image_size)
        self.bottleneck = (
            channels[-1],
            self.padded[0] // factor,
            self.padded[1] // factor,
        )
        flat = channels[-1] * self.bottleneck[1] * self.bottleneck[2]

        down, c_prev = [], in_channels
        for c in channels:
            down += [_block(c_prev, c, 2), _block(c, c, 1)]
            c_prev = c
        self.encoder = nn.Sequential(*down, nn.Flatten(), nn.Linear(flat, latent_dim))

        up = []
        for c in reversed(channels[:-1]):
            up += [nn.Upsample(scale_factor=2, mode="nearest"), _block(c_prev, c, 1)]
            c_prev = c
        self.decoder_input = nn.Linear(latent_dim, flat)
        self.decoder = nn.Sequential(
            *up,
            nn.Upsample(scale_factor=2, mode="nearest"),
            _block(c_prev, c_prev, 1),
            nn.Conv2d(c_prev, in_channels, 3, padding=1),
        )

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        pad_h = self.padded[0] - x.shape[-2]
        pad_w = self.padded[1] - x.shape[-1]
        return self.encoder(F.pad(x, (0, pad_w, 0, pad_h)))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        x = self.decoder(self.decoder_input(z).view(-1, *self.bottleneck))
        return x[..., : self.image_size[0], : self.image_size[1]]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))
