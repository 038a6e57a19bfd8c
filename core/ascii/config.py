"""ASCII Art's settings (``AsciiConfig``) and the names the command line offers; light (no NumPy),
so ``python -m core --help`` and the page's widgets cost nothing."""

from __future__ import annotations

import dataclasses
import string

from core.configs import setting

CHARSETS = {
    "ascii": "".join(chr(code) for code in range(32, 127)),  # all printable ASCII
    "ramp": " .:-=+*#%@",  # the classic short ramp
    "letters": " " + string.ascii_letters,
    "symbols": " " + "".join(ch for ch in string.punctuation),
}
CHARSET_NAMES = (*CHARSETS, "custom")
EXPORT_FORMATS = ("txt", "html", "ansi", "png", "svg")  # one picture, or the first frame
ANIMATION_FORMATS = ("gif", "png", "html", "txt", "ansi")  # every frame: gif, png strip, playing html, ...
COLOUR_MODES = ("mono", "colour")
METHODS = ("structure", "ramp")
DRAWINGS = ("auto", "photo", "line-art")
# paper: dark ink on light paper (print, a light page); screen: light glyphs on a dark ground
# (a terminal); auto: per picture, by the rule in tone.choose_polarity.
POLARITIES = ("auto", "paper", "screen")
FRAME_CHOICES = ("first", "all")
MAX_COLUMNS = 400


@dataclasses.dataclass
class AsciiConfig:
    """Every conversion setting, each declared once (``core.configs.setting``): the ascii and
    ascii-video options and the page's widgets derive from here."""

    columns: int = setting(
        100,
        "characters per line; the number of lines follows from the font's cell shape",
        low=20,
        high=MAX_COLUMNS,
        step=2,
    )
    p: float = setting(
        2.0,
        "Minkowski order of the glyph distance (> 0): 1 city-block, 2 Euclidean; larger p judges "
        "a glyph by its worst mismatch",
        label="Minkowski order p",
        options=(0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 8.0),
    )
    charset: str = setting(
        "ascii", "ascii, ramp, letters, symbols or custom", label="Characters", choices=CHARSET_NAMES
    )
    custom_charset: str = setting("", "the characters, with --charset custom", label="Your characters")
    include: str = setting("", "extra characters to allow", label="Also allow")
    exclude: str = setting("", "characters never to use", label="Never use")
    font: str = setting("", "a monospace TTF/OTF (default DejaVu Sans Mono, which ships with matplotlib)")
    font_size: int = setting(
        14, "px; the size of rendered exports (png, svg, html, gif)", label="Font size for exports (px)", low=6, high=32
    )
    # >1 pushes tones away from mid-grey, <1 flattens them. 1.5 because text has so little tonal
    # range (a glyph greys its cell by about a third at most): on the bench photos 1.3-1.7 all raised
    # SSIM at cell scale over 1.0 (bench/results/ascii.txt) and gave visibly crisper text.
    contrast: float = setting(
        1.5,
        ">1 pushes tones away from the picture's middle tone (its median grey): text has little tonal range to spend",
        low=0.2,
        high=3.0,
        step=0.1,
    )
    gamma: float = setting(
        1.0,
        ">1 darkens mid-tones; on a screen it dims them, so a night sky's dim ground turns blank",
        low=0.2,
        high=3.0,
        step=0.1,
    )
    auto_levels: bool = True  # stretch the picture's 2nd-98th percentiles to white-black first (--no-auto-levels)
    local_contrast: float = setting(
        3.0,
        "CLAHE clip limit for photos: how far local contrast may rise within each region (0 = off)",
        low=0.0,
        high=8.0,
        step=0.5,
    )
    edge_weight: float = setting(
        1.0, "how much the direction of strokes counts against tone; 0 = tone only", low=0.0, high=3.0, step=0.1
    )
    # auto: screen where light glyphs on a dark ground match the picture's brightness better than dark
    # ink on paper (a night sky, a black notebook), paper otherwise; tone.choose_polarity states the rule
    polarity: str = setting(
        "auto",
        "paper: dark ink on light; screen: light glyphs on dark (a terminal); auto "
        "(default): the one whose brightness matches the picture better (a mostly dark picture "
        "is drawn light on dark)",
        choices=POLARITIES,
    )
    colour_mode: str = setting(
        "mono", "mono, or colour: each glyph in its cell's mean colour", label="Colour", choices=COLOUR_MODES
    )
    method: str = setting(
        "structure", "structure (glyph matching) or ramp (the brightness-ramp baseline)", choices=METHODS
    )
    drawing: str = setting(
        "auto",
        "photo: black = the densest glyph; line-art: a stroke matches a stroke; auto tells them apart",
        label="Picture kind",
        choices=DRAWINGS,
    )

    def __post_init__(self) -> None:
        if not 1 <= self.columns <= MAX_COLUMNS:
            raise ValueError(f"columns must be between 1 and {MAX_COLUMNS}, not {self.columns}.")
        if not self.p > 0:
            raise ValueError(f"p must be greater than 0 (1 = city block, 2 = Euclidean), not {self.p}.")
        if self.charset not in CHARSET_NAMES:
            raise ValueError(f"charset must be one of {', '.join(CHARSET_NAMES)}, not {self.charset!r}.")
        if not 4 <= self.font_size <= 96:
            raise ValueError("font_size must be between 4 and 96 px.")
        if self.contrast <= 0 or self.gamma <= 0:
            raise ValueError("contrast and gamma must be greater than 0.")
        if self.edge_weight < 0:
            raise ValueError("edge_weight cannot be negative.")
        if not 0 <= self.local_contrast <= 40:
            raise ValueError("local_contrast must be between 0 (off) and 40.")
        for name, allowed in (
            ("colour_mode", COLOUR_MODES),
            ("drawing", DRAWINGS),
            ("method", METHODS),
            ("polarity", POLARITIES),
        ):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {', '.join(allowed)}, not {getattr(self, name)!r}.")

    def characters(self) -> str:
        """The candidate glyphs, in order, without repeats."""
        base = self.custom_charset if self.charset == "custom" else CHARSETS[self.charset]
        chosen = dict.fromkeys(ch for ch in base + self.include if ch.isprintable() and ch not in self.exclude)
        return "".join(chosen)
