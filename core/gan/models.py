"""The DCGAN generator and discriminator, built for a GanConfig; unconditional or by class.

Unconditional: the paper's networks as plain ``nn.Sequential`` (their state-dict keys are what
the shipped checkpoints hold). Class-conditional (``config.conditional``):
- the generator embeds the class (a learned vector, ``CLASS_EMBEDDING`` numbers) and reads it
  beside the noise: its first layer takes latent + embedding channels;
- the discriminator is a projection discriminator (Miyato and Koyama 2018): the same trunk, its
  unconditional logit, plus the inner product of a learned class embedding with the trunk's
  features summed over positions, so "is it real" and "is it this class" share one score.
Both take ``(pictures or noise, labels)``; the unconditional ones ignore labels.

Optional for small sets (``config.spectral_norm``): spectral normalisation of every
discriminator layer (Miyato et al. 2018) in place of its BatchNorm, which bounds how sharply D
can react to a few memorised pictures.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn

from core.gan import GanConfig

CLASS_EMBEDDING = 32  # numbers a class is given to the generator


def _generator_layers(config: GanConfig, inputs: int) -> nn.Sequential:
    steps = int(math.log2(config.size)) - 2  # 4x4 -> size in this many doublings
    widths = [config.ngf * 2 ** (steps - 1 - i) for i in range(steps)]
    layers = [nn.ConvTranspose2d(inputs, widths[0], 4, 1, 0, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU(True)]
    for before, after in zip(widths, widths[1:]):
        layers += [nn.ConvTranspose2d(before, after, 4, 2, 1, bias=False), nn.BatchNorm2d(after), nn.ReLU(True)]
    layers += [nn.ConvTranspose2d(widths[-1], config.channels, 4, 2, 1, bias=False), nn.Tanh()]
    return nn.Sequential(*layers)


def _discriminator_trunk(config: GanConfig) -> tuple[list[nn.Module], int]:
    steps = int(math.log2(config.size)) - 2
    widths = [config.ndf * 2**i for i in range(steps)]
    norm = nn.utils.parametrizations.spectral_norm if config.spectral_norm else (lambda module: module)
    layers = [norm(nn.Conv2d(config.channels, widths[0], 4, 2, 1, bias=config.spectral_norm)), nn.LeakyReLU(0.2, True)]
    for before, after in zip(widths, widths[1:]):
        layers.append(norm(nn.Conv2d(before, after, 4, 2, 1, bias=config.spectral_norm)))
        if not config.spectral_norm:
            layers.append(nn.BatchNorm2d(after))
        layers.append(nn.LeakyReLU(0.2, True))
    return layers, widths[-1]


class ConditionalGenerator(nn.Module):
    def __init__(self, config: GanConfig):
        super().__init__()
        self.embedding = nn.Embedding(config.class_count, CLASS_EMBEDDING)
        self.body = _generator_layers(config, config.latent + CLASS_EMBEDDING)

    def forward(self, noise, labels):
        classes = self.embedding(labels)[:, :, None, None]
        return self.body(torch.cat([noise, classes.to(noise.dtype)], dim=1))


class UnconditionalGenerator(nn.Sequential):
    """The paper's generator; takes (noise, labels) like the conditional one and ignores labels."""

    def forward(self, noise, labels=None):
        return super().forward(noise)


class ProjectionDiscriminator(nn.Module):
    def __init__(self, config: GanConfig):
        super().__init__()
        layers, width = _discriminator_trunk(config)
        norm = nn.utils.parametrizations.spectral_norm if config.spectral_norm else (lambda module: module)
        self.trunk = nn.Sequential(*layers)
        self.head = norm(nn.Conv2d(width, 1, 4, 1, 0, bias=False))
        embedding = nn.Embedding(config.class_count, width)
        nn.init.normal_(embedding.weight, 0.0, 0.02)  # the projection starts small beside the logit
        self.embedding = norm(embedding)

    def forward(self, pictures, labels):
        features = self.trunk(pictures)  # (N, width, 4, 4)
        logit = self.head(features).flatten(1)  # (N, 1)
        projection = (self.embedding(labels) * features.sum(dim=(2, 3))).sum(dim=1, keepdim=True)
        return logit + projection


class UnconditionalDiscriminator(nn.Sequential):
    def forward(self, pictures, labels=None):
        return super().forward(pictures)


def build_generator(config: GanConfig):
    if config.architecture == "fastgan":
        from core.gan.fastgan import FastGenerator

        return _initialised(FastGenerator(config))
    if config.conditional:
        return _initialised(ConditionalGenerator(config))
    return _initialised(UnconditionalGenerator(*_generator_layers(config, config.latent)))


def build_discriminator(config: GanConfig):
    if config.architecture == "fastgan":
        from core.gan.fastgan import FastDiscriminator

        return _initialised(FastDiscriminator(config))
    if config.conditional:
        return _initialised(ProjectionDiscriminator(config))
    layers, width = _discriminator_trunk(config)
    norm = nn.utils.parametrizations.spectral_norm if config.spectral_norm else (lambda module: module)
    layers += [norm(nn.Conv2d(width, 1, 4, 1, 0, bias=False)), nn.Flatten()]  # one logit per picture
    return _initialised(UnconditionalDiscriminator(*layers))


def _initialised(network):
    for module in network.modules():
        if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)) and not nn.utils.parametrize.is_parametrized(module):
            nn.init.normal_(module.weight, 0.0, 0.02)
        elif isinstance(module, nn.BatchNorm2d):
            nn.init.normal_(module.weight, 1.0, 0.02)
            nn.init.zeros_(module.bias)
    return network
