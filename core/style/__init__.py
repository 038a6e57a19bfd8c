"""Style transfer after Gatys, Ecker and Bethge (2016): optimise the pixels of an image so that
a frozen ImageNet VGG19 (core/vgg.py) sees the content of one picture and the style (Gram
matrices) of others; an instant feed-forward network for previews, cameras and clips.

The package, one file per concern:

    config      the settings (``StyleConfig``), the strength scale; light
    losses      content, Gram style and total-variation terms (the formulas are stated there)
    regions     regional style from a mask: one style per region, or the photo kept
    optimise    the optimisation loop (``stylise``)
    canvas      pictures to 0-255 tensors and back, colour kept
    tiled       big pictures refined in moving tiles
    tiles       the tile layout, sizes (``fit_size``), what a size costs and whether it fits; light
    inputs      what a run starts from (``StyleInputs``, written by the page, read by the job); light
    job         the job targets
    instant     the feed-forward network (onnxruntime), any picture size
    pictures    frames trimmed off paintings, masks read into regions (light)
    temporal    optical flow and the steadiness of clips
    video       clips through the instant network

Every public name is importable from here (``style.StyleConfig``, ``style.stylise``, ...),
loaded on first use, so a page that only needs the settings loads no torch.
"""

from __future__ import annotations

from core.lazy import lazy_attributes

__getattr__, __dir__ = lazy_attributes(
    __name__,
    {
        "config": (
            "StyleConfig",
            "OPTIMIZERS",
            "INITS",
            "SIZE_CAPS",
            "DISTANCE_LAYER",
            "STRENGTH_DEFAULT",
            "CONTENT_DISTANCE_BOUND",
            "style_weight_for",
            "strength_for",
            "size_cap",
            "FIRST_GUESS_SECONDS_PER_MEGAPIXEL_STEP",
            "CPU_PAGE_STEPS",
            "plan",
        ),
        "losses": ("content_distance", "gram", "loss_terms"),
        "regions": ("KEEP_CONTENT_BOOST", "SMALLEST_REGION", "active_regions", "masked_gram", "regional_losses"),
        "optimise": ("stylise",),
        "canvas": ("to_tensor", "to_array", "luminance_transfer"),
        "tiles": ("fit_size", "check_tiled"),
        "inputs": ("StyleInputs", "INPUT_SIDE"),
        "job": ("job", "batch_job"),
    },
    globals(),
)
