"""Preparing pictures for Style Transfer: painting frames trimmed, region masks read and fitted.

Light (numpy and Pillow only), so pages use it directly.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

# A band is "frame" when it is nearly uniform and very dark or very light, as mounts, black
# borders and scanner margins are; real painting edges vary far more than this.
FRAME_DARK, FRAME_LIGHT = 45.0, 215.0  # mean grey of a frame band (0-255)
FRAME_SPREAD = 22.0  # largest standard deviation of grey along a frame row or column
FRAME_MOST = 0.25  # never trim more than this share of a side from one edge
FRAME_MARGIN = 2  # extra rows taken past the band: the blurred edge between frame and paint
MOSTLY_FRAME = 0.4  # a picture that keeps less than this share of its area after trimming is refused

# Region colours for masks painted in the page (and expected in uploaded masks).
REGION_COLOURS = {"red": (230, 57, 70), "blue": (29, 111, 214)}
KEEP_PHOTO = "keep the photo"


def frame_widths(picture: Image.Image) -> dict[str, int]:
    """Rows or columns of dark or light frame along each edge (top, bottom, left, right)."""
    grey = np.asarray(picture.convert("L"), np.float32)
    height, width = grey.shape
    lines = {"top": grey, "bottom": grey[::-1], "left": grey.T, "right": grey.T[::-1]}
    widths = {}
    for edge, rows in lines.items():
        limit = int(rows.shape[0] * FRAME_MOST)
        means, spreads = rows[:limit].mean(axis=1), rows[:limit].std(axis=1)
        count = 0
        if limit and (means[0] < FRAME_DARK or means[0] > FRAME_LIGHT) and spreads[0] < FRAME_SPREAD:
            while (
                count < limit
                and spreads[count] < FRAME_SPREAD
                and abs(means[count] - means[0]) < 30
                and (means[count] < FRAME_DARK or means[count] > FRAME_LIGHT)
            ):
                count += 1
            count = min(limit, count + FRAME_MARGIN)
        widths[edge] = count
    return widths


def trim_frame(picture: Image.Image) -> tuple[Image.Image, dict[str, int]]:
    """The painting without its frame, and how many pixels came off each edge.

    Raises ValueError when the picture is mostly frame (too little painting left to learn a
    style from)."""
    widths = frame_widths(picture)
    box = (widths["left"], widths["top"], picture.width - widths["right"], picture.height - widths["bottom"])
    kept = max(0, box[2] - box[0]) * max(0, box[3] - box[1]) / (picture.width * picture.height)
    if kept < MOSTLY_FRAME:
        raise ValueError(
            f"This style picture is mostly frame: only {kept:.0%} of it is left after taking off the "
            "dark or light bands along its edges. Crop it to the painting, or turn off the frame trim."
        )
    if not any(widths.values()):
        return picture, widths
    return picture.crop(box), widths


def describe_trim(widths: dict[str, int]) -> str:
    """'trimmed a frame: 9 px top, 10 px bottom, ...' or ''."""
    taken = [f"{pixels} px {edge}" for edge, pixels in widths.items() if pixels]
    return f"trimmed a frame: {', '.join(taken)}" if taken else ""


def regions_from_mask(mask: Image.Image, size: tuple[int, int]) -> tuple[np.ndarray, list[str]]:
    """Region labels (H, W, uint8) at ``size`` (width, height) from a mask picture, and notes.

    Two kinds of mask are understood: one painted in the page or drawn like it (pixels close to
    the red or blue brush are regions 1 and 2, everything else region 0), and a grey mask
    (black = region 0, white = region 1; mid greys split at 50%). A mask of another size or
    aspect is resized to the content (nearest neighbour, so no new regions appear at edges), and
    the note says so."""
    notes = []
    if mask.size != size:
        if abs(mask.width / mask.height - size[0] / size[1]) > 0.02:
            notes.append(
                f"the mask ({mask.width}x{mask.height}) has another shape than the photo "
                f"({size[0]}x{size[1]}), so it was stretched to fit"
            )
        else:
            notes.append(f"the mask was resized from {mask.width}x{mask.height} to {size[0]}x{size[1]}")
        mask = mask.resize(size, Image.Resampling.NEAREST)
    array = np.asarray(mask.convert("RGBA"), np.float32)
    rgb, alpha = array[..., :3], array[..., 3]
    labels = np.zeros(rgb.shape[:2], np.uint8)
    coloured = False
    for index, colour in enumerate(REGION_COLOURS.values(), start=1):
        close = (np.abs(rgb - np.asarray(colour, np.float32)).max(axis=2) < 60) & (alpha > 127)
        labels[close] = index
        coloured |= bool(close.any())
    if not coloured:  # a grey mask
        grey = rgb.mean(axis=2) * (alpha / 255.0)
        labels = (grey >= 128).astype(np.uint8)
    return labels, notes
