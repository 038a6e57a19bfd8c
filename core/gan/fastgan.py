"""The small-set model: a light FastGAN (Liu, Zhu, Song and Elgammal, ICLR 2021).

Made for a few dozen to a few thousand pictures, where the DCGAN's discriminator memorises the
set within minutes and its generator collapses onto one motif. Two ideas of the paper carry it:

- **Skip-layer excitation** in the generator: a coarse feature map (4x4 or 8x8) is pooled,
  squeezed to one number per channel and gates a map 8 times finer (``Excitation``). Gradients
  reach the early layers through a short path, and the coarse layout steers the fine texture,
  which is what keeps samples varied when there is little data.
- **A self-supervised discriminator**: besides its real/fake logits, D must decode from its own
  8x8 features a small version of a real input, and from a random quarter of its 16x16 features
  that quarter of the picture (``Decoder``). A D that has to keep describing the pictures cannot
  shrink to a memorised lookup of the training set.

Departures from the paper, each for a CPU and an offline machine:
- widths are scaled by ``ngf``/``ndf`` (32 by default, the paper's 64 costs 4x) and only 64 and
  128 px are built (the paper goes to 1024; its second D branch on a downscaled copy is left out);
- the reconstruction loss is L1 on pixels, not LPIPS (whose AlexNet weights cannot be fetched
  here); it still forces D to encode layout and colour, which is its job in the paper;
- D's logits are a 5x5 map scored with the hinge loss, as in the paper; the noise injection of
  its generator's blocks is left out (no measurable change in short runs).

Augmentation is not part of the networks: the training loop applies DiffAugment with an
adaptive probability (``core.gan.augment.AdaptiveAugment``) to everything D sees.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from core.gan import GanConfig

SIZES = (64, 128)
# Generator channels per resolution, as multiples of ngf (the paper's table, one octave lower at
# the top so that a 64 px model fits a CPU).
GENERATOR_WIDTH = {4: 16, 8: 8, 16: 4, 32: 2, 64: 1, 128: 0.5}


def _spectral(module: nn.Module) -> nn.Module:
    return nn.utils.parametrizations.spectral_norm(module)


def _conv(in_channels: int, out_channels: int, kernel: int, stride: int = 1, padding: int = 0, bias: bool = False):
    return _spectral(nn.Conv2d(in_channels, out_channels, kernel, stride, padding, bias=bias))


class _Upsample(nn.Sequential):
    """Nearest x2, then 3x3 convolution(s) with BatchNorm and a gated linear unit (the paper's
    UpBlock; ``double`` is its UpBlockComp, a second convolution for more capacity)."""

    def __init__(self, in_channels: int, out_channels: int, double: bool = False):
        layers = [
            nn.Upsample(scale_factor=2, mode="nearest"),
            _conv(in_channels, out_channels * 2, 3, 1, 1),
            nn.BatchNorm2d(out_channels * 2),
            nn.GLU(dim=1),
        ]
        if double:
            layers += [_conv(out_channels, out_channels * 2, 3, 1, 1), nn.BatchNorm2d(out_channels * 2), nn.GLU(dim=1)]
        super().__init__(*layers)


class Excitation(nn.Module):
    """Skip-layer excitation: a coarse map gates each channel of a map 8x finer."""

    def __init__(self, coarse_channels: int, fine_channels: int):
        super().__init__()
        self.gate = nn.Sequential(
            nn.AdaptiveAvgPool2d(4),
            _conv(coarse_channels, fine_channels, 4),
            nn.SiLU(),
            _conv(fine_channels, fine_channels, 1),
            nn.Sigmoid(),
        )

    def forward(self, coarse, fine):
        return fine * self.gate(coarse)


class FastGenerator(nn.Module):
    """noise (N, latent, 1, 1) -> pictures (N, channels, size, size) in [-1, 1]."""

    def __init__(self, config: GanConfig):
        super().__init__()
        if config.size not in SIZES:
            raise ValueError(
                f"The small-set model draws {' or '.join(map(str, SIZES))} px pictures, not {config.size}."
            )
        width = {side: max(8, int(config.ngf * factor)) for side, factor in GENERATOR_WIDTH.items()}
        self.sides = [2**power for power in range(3, int(math.log2(config.size)) + 1)]  # 8, 16, ..., size
        self.start = nn.Sequential(
            nn.ConvTranspose2d(config.latent, width[4] * 2, 4, 1, 0, bias=False),
            nn.BatchNorm2d(width[4] * 2),
            nn.GLU(dim=1),
        )
        self.blocks = nn.ModuleDict(
            {str(side): _Upsample(width[side // 2], width[side], double=side in (8, 32, 128)) for side in self.sides}
        )
        # Each map from 32 px up is excited by the one 8x coarser (4 -> 32, 8 -> 64, 16 -> 128).
        self.excitations = nn.ModuleDict(
            {str(side): Excitation(width[side // 8], width[side]) for side in self.sides if side >= 32}
        )
        self.output = nn.Sequential(nn.Conv2d(width[config.size], config.channels, 3, 1, 1, bias=False), nn.Tanh())

    def forward(self, noise, labels=None):
        maps = {4: self.start(noise)}
        for side in self.sides:
            features = self.blocks[str(side)](maps[side // 2])
            if str(side) in self.excitations:
                features = self.excitations[str(side)](maps[side // 8], features)
            maps[side] = features
        return self.output(maps[self.sides[-1]])


class _Downsample(nn.Module):
    """The paper's DownBlockComp: a strided 4x4 + 3x3 path averaged with an average-pool + 1x1
    path, so D keeps a smooth route for its gradients."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.main = nn.Sequential(
            _conv(in_channels, out_channels, 4, 2, 1),
            nn.BatchNorm2d(out_channels),
            nn.LeakyReLU(0.2, True),
            _conv(out_channels, out_channels, 3, 1, 1),
            nn.BatchNorm2d(out_channels),
            nn.LeakyReLU(0.2, True),
        )
        self.direct = nn.Sequential(
            nn.AvgPool2d(2), _conv(in_channels, out_channels, 1), nn.BatchNorm2d(out_channels), nn.LeakyReLU(0.2, True)
        )

    def forward(self, features):
        return (self.main(features) + self.direct(features)) / 2


class Decoder(nn.Sequential):
    """D's self-supervision: an 8x8 feature map -> a picture of ``side`` px (upsampling blocks)."""

    def __init__(self, in_channels: int, side: int, channels: int, width: int):
        layers, current = [], in_channels
        for step in range(int(math.log2(side // 8))):
            following = max(8, width // 2**step)
            layers.append(_Upsample(current, following))
            current = following
        layers += [nn.Conv2d(current, channels, 3, 1, 1, bias=False), nn.Tanh()]
        super().__init__(*layers)


class FastDiscriminator(nn.Module):
    """pictures -> a 5x5 map of logits (``forward``), and with ``reconstruction_loss`` the
    self-supervised term on real pictures."""

    def __init__(self, config: GanConfig):
        super().__init__()
        if config.size not in SIZES:
            raise ValueError(
                f"The small-set model draws {' or '.join(map(str, SIZES))} px pictures, not {config.size}."
            )
        ndf = config.ndf
        down = int(math.log2(config.size)) - 3  # size -> 8 in this many halvings
        # Channels after each halving: ndf at 32 px, 2 ndf at 16, 4 ndf at 8 (ndf / 2 at 64 for 128 px).
        widths = [max(8, int(ndf * 2.0 ** (index - down + 3))) for index in range(down)]
        self.stem = nn.Sequential(_conv(config.channels, widths[0], 4, 2, 1), nn.LeakyReLU(0.2, True))
        self.down = nn.ModuleList(_Downsample(before, after) for before, after in zip(widths, widths[1:]))
        self.head = nn.Sequential(
            _conv(widths[-1], widths[-1] * 2, 1),
            nn.BatchNorm2d(widths[-1] * 2),
            nn.LeakyReLU(0.2, True),
            _conv(widths[-1] * 2, 1, 4, bias=True),
        )
        self.whole = Decoder(widths[-1], config.size // 2, config.channels, ndf * 2)
        self.part = Decoder(widths[-2], config.size // 2, config.channels, ndf * 2)

    def _features(self, pictures):
        features = self.stem(pictures)
        maps = []
        for block in self.down:
            features = block(features)
            maps.append(features)
        return maps[-2], maps[-1]  # 16x16 and 8x8

    def forward(self, pictures, labels=None):
        return self.head(self._features(pictures)[1])

    def reconstruction_loss(self, pictures):
        """(logits, L1 loss of decoding the whole picture at half size and a random quarter of it)."""
        sixteen, eight = self._features(pictures)
        logits = self.head(eight)
        half = pictures.shape[-1] // 2
        whole = F.interpolate(pictures, size=(half, half), mode="area")
        row, column = (int(value) for value in torch.randint(0, 2, (2,)))
        quarter = pictures[:, :, row * half : (row + 1) * half, column * half : (column + 1) * half]
        part = sixteen[:, :, row * 8 : (row + 1) * 8, column * 8 : (column + 1) * 8]
        loss = (self.whole(eight).float() - whole.float()).abs().mean() + (
            self.part(part).float() - quarter.float()
        ).abs().mean()
        return logits, loss
