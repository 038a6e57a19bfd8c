"""Regional style (Gatys et al. 2017): a mask's regions each take their own style, or keep the photo."""

from __future__ import annotations

import numpy as np

from core.style.config import StyleConfig

KEEP_CONTENT_BOOST = 10.0  # content weight multiplier inside a "keep the photo" region


SMALLEST_REGION = 0.01  # regions under this share of the picture are ignored (a stray brush dab)


def active_regions(regions: np.ndarray | None, config: StyleConfig, style_count: int) -> tuple[list[int], list[str]]:
    """The region labels that take part, and notes on what was ignored or means nothing."""
    if regions is None or not config.region_styles:
        return [], []
    notes = []
    present = [label for label in np.unique(regions).tolist() if (regions == label).mean() >= SMALLEST_REGION]
    ignored = sorted(set(np.unique(regions).tolist()) - set(present))
    if ignored:
        several = len(ignored) > 1
        notes.append(
            f"region{'s' if several else ''} {', '.join(map(str, ignored))} cover{'' if several else 's'} "
            f"under {SMALLEST_REGION:.0%} of the picture and {'were' if len(ignored) > 1 else 'was'} ignored"
        )
    for label in present:
        if label >= len(config.region_styles):
            raise ValueError(
                f"The mask has a region {label} but only {len(config.region_styles)} region styles were given."
            )
        choice = config.region_styles[label]
        if choice != "keep" and int(choice) >= style_count:
            raise ValueError(
                f"Region {label} asks for style {int(choice) + 1}, but only {style_count} style "
                f"picture{'s were' if style_count > 1 else ' was'} given."
            )
    if len(present) < 2:
        notes.append("the mask has one region only, so the whole picture is treated alike")
    elif all(config.region_styles[label] == "keep" for label in present):
        raise ValueError("Every region in the mask keeps the photo, so nothing would change: give one region a style.")
    return present, notes


def masked_gram(activation, mask):
    """The guided Gram matrix of one region (Gatys et al. 2017): (F m)(F m)^T / sum(m), with the
    mask brought to the layer's size; for a region whose textures match a picture's, it equals
    that picture's ordinary Gram matrix."""
    import torch

    _, channels, height, width = activation.shape
    small = torch.nn.functional.interpolate(mask, size=(height, width), mode="area")
    flat = (activation * small).reshape(channels, height * width)
    return flat @ flat.t() / small.sum().clamp_min(1e-6)


def regional_losses(found, region_masks, config: StyleConfig, style_targets, content_targets, layer_weights):
    """(style loss summed over the styled regions, extra content loss of the kept regions)."""
    style_loss = keep_loss = 0.0
    for label, mask in region_masks.items():
        choice = config.region_styles[label]
        if choice == "keep":
            for name, target in content_targets.items():
                import torch

                small = torch.nn.functional.interpolate(mask, size=target.shape[2:], mode="area")
                keep_loss = keep_loss + 0.01 * ((found[name] - target) ** 2 * small).sum() / (
                    small.sum().clamp_min(1e-6) * target.shape[1]
                )
            continue
        targets = style_targets[int(choice)]
        for weight, name in zip(layer_weights, config.style_layers):
            channels = found[name].shape[1]
            difference = masked_gram(found[name], mask) - targets[name]
            style_loss = style_loss + weight * (10.0 / channels**2) * (difference**2).mean()
    return style_loss, keep_loss
