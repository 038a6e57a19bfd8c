"""Structure-aware ASCII art: each character cell takes the glyph whose strokes match it.

The image is cut into character cells whose shape comes from the font's own metrics (advance
width against ascent + descent), so circles stay round. Every cell, and every candidate glyph
rendered in the same monospace font, is sampled on the same small grid of "ink" values
(1 = full ink) and run through a bank of 3x3 filters (``features``):

    ink      binomial blur [1 2 1]x[1 2 1]/16, applied twice: where the ink lies, as an eye
             sees it from a little way off (a glyph's hard strokes and a photo's soft shading
             become comparable)
    edge |   Sobel x: vertical strokes, and on which side the ink is
    edge -   Sobel y: horizontal strokes (underscores, dashes, bars of E and F)
    edge /   and edge \\: the two diagonals (slashes, V, X, chevrons)

A cell takes the nearest glyph under a weighted Minkowski distance of order p in which the
stroke direction counts in proportion to the cell's own edge strength. Before matching, a
photo's tones are prepared the way a printer would (``tone``): local contrast (CLAHE), auto
levels and a mild S-curve; a picture with few mid-tones is line art and is compared stroke for
stroke instead. Ink is dark on light paper or light on a dark screen (``polarity``); auto picks
per picture so that a mostly dark picture spends its glyphs on its bright subject, not on its
background.

The package, one file per concern:

    config        the settings (``AsciiConfig``) and the names the command line offers; light,
                  so ``python -m core --help`` imports no NumPy
    fonts         monospace font files: metrics, character map, glyph bitmaps
    tone          grey levels to ink: resampling, local contrast, levels, polarity, line art
    features      the filter bank, glyph and cell features, the nearest-glyph search
    pipeline      a picture (or the frames of an animation) to text: ``convert``, ``AsciiResult``
    rendering     text drawn in its font, as pixels
    quality       SSIM of the text against its source, at three scales
    exports       txt, html, ansi, png, svg; animated gif, png strip and playing html

The heavy names (``convert``, ``render``, ``export``, ...) are importable from here as before,
loaded on first use.
"""

from __future__ import annotations

from core.lazy import lazy_attributes

# Where each public name of the heavy modules lives; ``core.ascii.<name>`` loads it on first use.
_LAZY = {
    "config": (
        "CHARSETS",
        "CHARSET_NAMES",
        "EXPORT_FORMATS",
        "ANIMATION_FORMATS",
        "COLOUR_MODES",
        "METHODS",
        "DRAWINGS",
        "POLARITIES",
        "FRAME_CHOICES",
        "MAX_COLUMNS",
        "AsciiConfig",
    ),
    "fonts": ("Font", "load_font", "default_font_path", "render_glyphs"),
    "tone": ("choose_polarity", "is_line_art", "tone_curve", "local_contrast", "resample"),
    "features": (
        "SAMPLES_ACROSS",
        "Features",
        "cell_grid",
        "cell_pixels",
        "feature_matrix",
        "tone_matrix",
        "edge_matrix",
        "glyph_table",
        "describe_samples",
        "nearest",
        "nearest_from_samples",
        "FILTERS",
    ),
    "pipeline": (
        "AsciiResult",
        "convert",
        "convert_frames",
        "convert_clip",
        "clip_converter",
        "grid_size",
        "usable_characters",
    ),
    "rendering": ("render", "render_grey"),
    "quality": ("ssim", "similarity", "cell_similarity", "blurred_similarity", "SSIM_FONT_SIZE"),
    "exports": ("export", "export_frames"),
}
__getattr__, __dir__ = lazy_attributes(__name__, _LAZY, globals())
