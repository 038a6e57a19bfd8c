"""The tiled refinement of big pictures (the tile layout itself is in tiles.py, light)."""

from __future__ import annotations

import math
from collections.abc import Iterator

import torch
from PIL import Image

from core.progress import Progress
from core.style import tiles
from core.style.canvas import finish, to_tensor
from core.style.config import StyleConfig
from core.style.losses import gram, loss_terms
from core.style.tiles import fit_size


def _tiled_gram(vgg, picture_tensor, layers, tile: int) -> dict:
    """Gram matrices of a picture too big for one pass: a Gram matrix is an average over
    positions, so it is the area-weighted mean of its tiles' (borders aside)."""
    _, _, height, width = picture_tensor.shape
    sums, count = {}, 0.0
    with torch.no_grad():
        # Each core is seen with its margin, so no sliver at an edge is too small for VGG's pooling.
        for (top, left, bottom, right), (c_top, c_left, c_bottom, c_right) in tiles.tile_boxes(
            height, width, tile, (0, 0)
        ):
            found = vgg.features(picture_tensor[:, :, c_top:c_bottom, c_left:c_right])
            area = (bottom - top) * (right - left)
            for name in layers:
                sums[name] = sums.get(name, 0) + gram(found[name]) * area
            count += area
    return {name: value / count for name, value in sums.items()}


def refine_in_tiles(
    start,
    content: Image.Image,
    styles,
    blend,
    config: StyleConfig,
    vgg,
    where,
    done: int,
    layer_weights,
    content_scale: float,
    style_scale: float,
) -> Iterator[Progress]:
    """The full-size stage of the tiled mode: Adam on the whole picture, its gradient gathered
    tile by tile (each core takes only its own tile's gradient), the tile grid moved every step."""
    shape = fit_size(content, config.size)
    tile = tiles.TILE.get(where.type, tiles.TILE["cpu"])
    content_tensor = to_tensor(content, shape, where)
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
        style_targets.append(_tiled_gram(vgg, to_tensor(picture, style_size, where), config.style_layers, tile))
    image = (
        torch.nn.functional.interpolate(
            start.detach(), size=content_tensor.shape[2:], mode="bicubic", align_corners=False
        )
        .clamp(0, 255)
        .contiguous()
        .requires_grad_(True)
    )
    optimiser = torch.optim.Adam([image], lr=max(config.learning_rate, 2.0))
    steps = config.steps - done
    height, width = shape[1], shape[0]
    for index, offset in enumerate(tiles.offsets(steps, tile, config.seed)):
        optimiser.zero_grad(set_to_none=True)
        gradient = torch.zeros_like(image)
        terms = {"content": 0.0, "style": 0.0, "tv": 0.0, "total": 0.0}
        for (top, left, bottom, right), (c_top, c_left, c_bottom, c_right) in tiles.tile_boxes(
            height, width, tile, offset
        ):
            share = (bottom - top) * (right - left) / (height * width)  # tiles add up to the whole picture
            piece = image.detach()[:, :, c_top:c_bottom, c_left:c_right].clone().requires_grad_(True)
            with torch.no_grad():
                targets = {
                    name: value
                    for name, value in vgg.features(content_tensor[:, :, c_top:c_bottom, c_left:c_right]).items()
                    if name in config.content_layers
                }
            found = vgg.features(piece)
            content_loss, style_loss, tv_loss = loss_terms(
                found, piece, targets, style_targets, blend, layer_weights, config
            )
            parts = (
                config.content_weight * content_scale * content_loss,
                config.style_weight * style_scale * style_loss,
                config.tv_weight * tv_loss,
            )
            (share * (parts[0] + parts[1] + parts[2])).backward()
            gradient[:, :, top:bottom, left:right] = piece.grad[
                :, :, top - c_top : bottom - c_top, left - c_left : right - c_left
            ]
            for name, value in zip(("content", "style", "tv"), parts):
                terms[name] += share * float(value.detach())
        terms["total"] = terms["content"] + terms["style"] + terms["tv"]
        if not all(math.isfinite(value) for value in terms.values()):
            raise ValueError(
                f"The loss became {terms['total']} in the tiled refinement, so the run stopped; the last "
                "good image was kept. Lower the style weight."
            )
        image.grad = gradient
        optimiser.step()
        with torch.no_grad():
            image.clamp_(0, 255)
        done += 1
        last = index == steps - 1
        show = done % config.preview_every == 0 or last
        picture = finish(image, content, config) if show or last else None
        yield Progress(
            step=done,
            total=config.steps,
            metrics=terms,
            preview=picture,
            result=picture,
            message=f"{width}x{height} px in moving {tile} px tiles",
        )
