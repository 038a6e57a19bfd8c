"""ASCII Art's Streamlit helpers: cached working copies, animation frames, uploaded fonts and clip
plans, and the renderings the page shows (coloured text, the match heatmap, animation downloads)."""

from __future__ import annotations

import hashlib
import html

import numpy as np
import streamlit as st
from PIL import Image

import core.ascii as ascii_art
from core import images
from ui import files

WORKING_SIDE = 2048  # larger pictures are downscaled first: more pixels than this change nothing


@st.cache_data(max_entries=8, show_spinner=False)
def working_copy(picture: Image.Image) -> np.ndarray:
    return np.asarray(images.fit_within(picture, WORKING_SIDE))


@st.cache_data(max_entries=4, show_spinner=False)
def animation_frames(data: bytes) -> tuple[list[np.ndarray], list[int], list[str]]:
    frames, durations, notes = images.load_frames(data)
    return [np.asarray(images.fit_within(frame, WORKING_SIDE)) for frame in frames], durations, notes


@st.cache_resource(max_entries=4, show_spinner=False)
def uploaded_font(data: bytes) -> ascii_art.Font:
    return ascii_art.load_font(data)


@st.cache_data(max_entries=8, show_spinner=False)
def ascii_clip_plan(path: str, settings: dict):
    from core.ascii import video as ascii_video

    return ascii_video.clip_plan(path, ascii_art.AsciiConfig(**settings))


def coloured_text(result: ascii_art.AsciiResult) -> str:
    """The text as HTML: plain in mono mode, each run of one colour in a span in colour mode."""
    if result.config.colour_mode != "colour":
        return html.escape(result.text)
    colours = result.colours
    rows = []
    for line, row in zip(result.lines, colours):
        spans, start = [], 0
        for index in range(1, len(line) + 1):
            if index == len(line) or (row[index] // 16 != row[start] // 16).any():
                red, green, blue = (int(value) for value in row[start])
                spans.append(f'<span style="color:rgb({red},{green},{blue})">{html.escape(line[start:index])}</span>')
                start = index
        rows.append("".join(spans))
    return "\n".join(rows)


def heatmap(result: ascii_art.AsciiResult) -> np.ndarray:
    """Per-cell match distance as a picture (dark = the glyph fits its cell well)."""
    from matplotlib import colormaps

    distances = result.distances / max(float(result.distances.max()), 1e-6)
    colours = (colormaps["magma"](distances)[..., :3] * 255).astype(np.uint8)
    return np.repeat(np.repeat(colours, 6, axis=0), 3, axis=1)


def exported(result: ascii_art.AsciiResult, format: str) -> bytes:
    """An export of the result, made once per distinct result (the PNG takes a third of a second,
    and every download is now carried in the page rather than made on click)."""
    identity = hashlib.sha256()
    for part in (result.text, repr(result.config), result.font.name, result.polarity, format):
        identity.update(part.encode())
    if result.config.colour_mode == "colour":
        identity.update(result.colours.tobytes())
    return _export(identity.hexdigest(), format, result)


@st.cache_data(max_entries=16, show_spinner=False)
def _export(identity: str, format: str, _result: ascii_art.AsciiResult) -> bytes:
    return ascii_art.export(_result, format)


def animation_downloads(results, durations, gif: bytes) -> None:
    """A row of downloads for a converted animation: the GIF made already, the rest on click."""
    animated = {
        "gif": ("image/gif", "animated GIF"),
        "html": ("text/html", "playing HTML"),
        "png": ("image/png", "PNG strip"),
        "txt": ("text/plain", "text frames"),
    }
    for button, (format, (mime, label)) in zip(st.columns(len(animated)), animated.items()):
        data = gif if format == "gif" else ascii_art.export_frames(results, format, durations)
        files.download_inline(
            label, data, f"ascii-animation.{format}", mime, key=f"ascii_animation_{format}", target=button
        )
