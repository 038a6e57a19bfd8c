"""ASCII Art's Streamlit helpers: cached working copies, animation frames, uploaded fonts and clip
plans, the renderings the page shows (coloured text, the match heatmap, animation downloads), and
the page's panels (the live camera, the video file, the picture and its scores, text, quality,
exports), so the page itself reads as inputs, settings, tabs."""

from __future__ import annotations

import dataclasses
import hashlib
import html
import io
import time
from pathlib import Path

import numpy as np
import streamlit as st
from PIL import Image

import core.ascii as ascii_art
from core import configs, images
from ui import files, restore

Config = ascii_art.AsciiConfig

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


def stamped(data: bytes, format: str, config: ascii_art.AsciiConfig, upload: bytes | None) -> bytes:
    """An export with its settings inside (core.provenance), where the format has room for them:
    'Open an Atelier result' and ``--settings`` read them back. ANSI text is printed as it is, and
    a GIF has no place for them."""
    from core import provenance, tools

    if format not in ("txt", "html", "svg", "png"):
        return data
    from ui import send

    inputs = {"picture": provenance.bytes_sha256(upload)} if upload else {}
    stamp = tools.make_stamp("ascii", config, inputs=inputs, parent=send.parent_of("ascii"))
    return provenance.embed(data, format, stamp)


def animation_downloads(results, durations, gif: bytes, upload: bytes | None = None) -> None:
    """A row of downloads for a converted animation: the GIF made already, the rest on click."""
    animated = {
        "gif": ("image/gif", "animated GIF"),
        "html": ("text/html", "playing HTML"),
        "png": ("image/png", "PNG strip"),
        "txt": ("text/plain", "text frames"),
    }
    for button, (format, (mime, label)) in zip(st.columns(len(animated)), animated.items()):
        data = gif if format == "gif" else ascii_art.export_frames(results, format, durations)
        data = stamped(data, format, results[0].config, upload)
        files.download_inline(
            label, data, f"ascii-animation.{format}", mime, key=f"ascii_animation_{format}", target=button
        )


# --- the page's panels: each draws one part of the page from the config the form built ----------

CHARSET_LABELS = {
    "ascii": "Printable ASCII (95)",
    "ramp": "Classic ramp  .:-=+*#%@",
    "letters": "Letters only",
    "symbols": "Symbols only",
    "custom": "Custom…",
}
POLARITY_LABELS = {"auto": "Auto", "paper": "Dark on light", "screen": "Light on dark"}
VIDEO_TOOL = "ascii-video"
LIVE_PREVIEW_SIZE = 7  # px per glyph in the live video: 100 columns come back about 420 px wide
LIVE_COLUMNS = (40, 60, 80, 100, 120, 160, 200, 240, 320)  # what the camera may step down to
TEXT_ADVANCE = 0.61  # em per monospace glyph, a little over DejaVu Sans Mono's 0.602: the Text tab fits its column
FORM = (
    "columns",
    "p",
    "edge_weight",
    "contrast",
    "gamma",
    "local_contrast",
    "auto_levels",
    "drawing",
    "charset",
    "custom_charset",
    "colour_mode",
    "polarity",
)
FONT_FORM = ("font_size", "include", "exclude")


def charset_menu() -> str:
    """The character sets by what they look like (a value "Open an Atelier result" left goes in first)."""
    restore.place("ascii_charset")
    return st.selectbox(
        configs.spec(ascii_art.AsciiConfig, "charset").label,
        list(CHARSET_LABELS),
        format_func=CHARSET_LABELS.get,
        key="ascii_charset",
    )


def form_widgets() -> dict:
    """How the page offers the settings that need more than their declaration (and the keys the
    page has always used, so a person's choices survive)."""
    return {
        "edge_weight": {"key": "ascii_edge"},
        "local_contrast": {
            "key": "ascii_local",
            "help": "How far contrast may be raised within each region of a photo (CLAHE clip limit). Glyphs "
            "can grey a cell by about a third at most, so spending that range on local detail keeps faces "
            "and edges readable. 0 = off.",
        },
        "auto_levels": {
            "key": "ascii_levels",
            "help": "Stretch the picture's 2nd-98th percentiles to white and black first.",
        },
        "drawing": {
            "horizontal": True,
            "format_func": {"auto": "Auto", "photo": "Photo", "line-art": "Line art"}.get,
            "help": "Photo: black is the densest glyph. Line art (drawings, logos, text): a stroke matches a "
            "stroke. Auto tells them apart by how many mid-tones the picture has and whether its fills are "
            "flat (a drawing) or grainy (a photo, a night sky).",
        },
        "charset": charset_menu,
        "custom_charset": lambda: (
            st.text_input(
                configs.spec(ascii_art.AsciiConfig, "custom_charset").label,
                **restore.initial("ascii_custom", " .:oO@"),
                key="ascii_custom",
            )
            if st.session_state.get("ascii_charset") == "custom"
            else ""
        ),
        "colour_mode": {
            "key": "ascii_colour",
            "horizontal": True,
            "format_func": {"mono": "Mono", "colour": "Colour"}.get,
        },
        "polarity": {
            "horizontal": True,
            "format_func": POLARITY_LABELS.get,
            "help": "Dark ink on light paper, or light glyphs on a dark ground as in a terminal. Text can only "
            "shade the top third of the grey scale on paper, the bottom third on a screen: auto picks the "
            "one whose brightness matches the picture better, so a mostly dark picture (a night sky, a "
            "black notebook) is drawn light on dark.",
        },
        "include": lambda: st.text_input(configs.spec(ascii_art.AsciiConfig, "include").label, "", key="ascii_include"),
        "exclude": lambda: st.text_input(configs.spec(ascii_art.AsciiConfig, "exclude").label, "", key="ascii_exclude"),
    }


def font_for(font_file) -> ascii_art.Font:
    return uploaded_font(font_file.getvalue()) if font_file is not None else ascii_art.load_font(None)


def live_panel(config: ascii_art.AsciiConfig, font: ascii_art.Font) -> None:
    """The webcam converted continuously at the form's settings; fewer columns while frames are slow."""
    from ui import live

    st.caption(
        "Your webcam, converted continuously at the settings on the left (columns, polarity, charset, "
        "contrast...): the video shows the text drawn in the font, and the text itself is below it."
    )
    # The polarity of the last frame, so that auto keeps it through near ties (no black/white flicker).
    last = st.session_state.setdefault("ascii_live_last", {})
    paced, _ = live.pace("ascii_live", (*LIVE_COLUMNS, config.columns), config.columns, "columns")

    def sketch_frame(frame: np.ndarray, config=config, font=font) -> tuple[np.ndarray, str]:
        if paced.side != config.columns:  # fewer columns while frames are slow
            config = dataclasses.replace(config, columns=paced.side)
        result = ascii_art.convert(frame, config, font, previous_polarity=last.get("polarity"))
        last["polarity"] = result.polarity
        return ascii_art.render(result, LIVE_PREVIEW_SIZE), result.text

    live.live_video("ascii_live", sketch_frame, show_text=True, paced=paced)


def video_panel(config: ascii_art.AsciiConfig, font_file) -> None:
    """A clip converted frame by frame as a job, with one tone curve for the whole clip."""
    from core import jobs as core_jobs
    from ui import jobs, video

    st.caption(
        "A clip converted frame by frame at the settings on the left, with one tone curve for the whole "
        "clip (nothing flickers): a video of the text in the font, with the clip's sound, and a page of "
        "text that plays."
    )
    clip = video.clip_input("ascii_video")
    video_job = jobs.current_job(VIDEO_TOOL)
    if clip is not None:
        try:
            if font_file is not None:  # kept with the person's uploads, for the job to read
                suffix = Path(font_file.name).suffix.lower()
                config = dataclasses.replace(
                    config, font=str(jobs.manager().uploads.file(font_file.getvalue(), suffix))
                )
            config = dataclasses.replace(config, method="structure")
            plan = ascii_clip_plan(str(clip.path), dataclasses.asdict(config))
        except ValueError as error:
            st.error(str(error))
        else:
            frame_font = ascii_art.load_font(config.font or None)

            def one_frame(frame, config=config, font=frame_font):
                return ascii_art.render(ascii_art.convert(frame, config, font))

            started = video.start_panel(
                VIDEO_TOOL,
                "core.ascii.video:job",
                clip,
                plan,
                {"clip": str(clip.path), "ascii": dataclasses.asdict(config)},
                frame_cost=one_frame,
                title=f"{clip.name}, {config.columns} columns",
            )
            video_job = started or video_job
    video.result_panel(
        VIDEO_TOOL, video_job, extra_downloads={core_jobs.RunFolder.PAGE: ("Playing page (HTML)", "text/html")}
    )


def convert_with_timing(source: np.ndarray, config: ascii_art.AsciiConfig, font: ascii_art.Font):
    """The result, its rendering about 1000 px wide whatever the columns (exports use font_size),
    and the seconds both took."""
    started = time.perf_counter()
    result = ascii_art.convert(source, config, font)
    rendered = ascii_art.render(result, int(np.clip(1000 / (config.columns * font.advance), 4, 16)))
    return result, rendered, time.perf_counter() - started


def picture_panel(picture, source, result, rendered, seconds: float, baseline: bool) -> None:
    """The source and its text side by side, what auto chose, and the scores against the other method."""
    config, font = result.config, result.font
    other_method = "structure" if baseline else "ramp"
    other = ascii_art.convert(source, dataclasses.replace(config, method=other_method, polarity=result.polarity), font)
    score, other_score = ascii_art.similarity(result, source), ascii_art.similarity(other, source)
    cell_score, other_cell = ascii_art.cell_similarity(result, source), ascii_art.cell_similarity(other, source)
    left, right = st.columns(2)
    left.image(files.data_url(source), caption=f"Source, {picture.width}x{picture.height}", width="stretch")
    kind = "line art" if result.drawing == "line-art" else "a photo"
    drawn = "light on dark" if result.screen else "dark on light"
    right.image(
        files.data_url(rendered),
        caption=f"{result.rows} x {config.columns} characters in {font.name}; read as {kind}; drawn {drawn}",
        width="stretch",
    )
    if config.polarity == "auto":
        st.caption(f"Auto polarity chose **{drawn}**: {result.polarity_reason}.")
    for note in result.notes:
        st.info(note)
    other_name = "glyph matching" if baseline else "ramp"
    a, b, c, d = st.columns(4)
    a.metric(
        "SSIM, cell scale",
        f"{cell_score:.3f}",
        delta=f"{cell_score - other_cell:+.3f} vs {other_name}",
        help="Structural similarity of the text to the source, both grey and averaged to one square "
        "sample per character width: what the text conveys from a viewing distance.",
    )
    b.metric(
        "SSIM, pixels",
        f"{score:.3f}",
        delta=f"{score - other_score:+.3f} vs {other_name}",
        help="The same, pixel by pixel with the text drawn at 10 px. Beware: at this scale a blank "
        "page scores well (glyph strokes are never in a smooth photo), so read it with care.",
    )
    c.metric("Time", f"{seconds * 1000:.0f} ms")
    d.metric("Glyphs", f"{len(result.usage())} of {len(result.characters)}")


def text_panel(result: ascii_art.AsciiResult) -> None:
    # Drawn in its polarity (light-on-dark text shown dark on light would read as its negative) and,
    # in colour mode, in its colours; the font size follows the column's width (container query
    # units), so every line fits whatever the columns and the window.
    paper, ink = ("#000", "#fff") if result.screen else ("#fff", "#000")
    columns = result.config.columns
    st.html(
        f'<div style="container-type:inline-size;width:100%"><pre style="background:{paper};color:{ink};'
        f"font-family:monospace;font-size:min(14px, calc((100cqi - 20px) / {columns * TEXT_ADVANCE:.2f}));"
        f'line-height:1.17;padding:10px;margin:0;overflow:hidden">{coloured_text(result)}</pre></div>'
    )
    with st.expander("Plain text, to copy"):
        st.code(result.text, language=None)


def quality_panel(result: ascii_art.AsciiResult) -> None:
    import altair as alt
    import pandas as pd

    heat, usage = st.columns(2)
    heat.image(files.data_url(heatmap(result)), caption="Match distance per cell (dark = good fit)", width="stretch")
    counts = pd.DataFrame(list(result.usage().items())[:40], columns=["glyph", "cells"])
    counts["glyph"] = counts["glyph"].map(lambda glyph: "␠" if glyph == " " else glyph)
    usage.altair_chart(
        alt.Chart(counts)
        .mark_bar()
        .encode(x=alt.X("glyph:N", sort=None, title="glyph (most used first)"), y=alt.Y("cells:Q")),
        width="stretch",
        height=300,
    )


def export_panel(result: ascii_art.AsciiResult, upload: bytes | None) -> None:
    """A download per format (the font embedded in HTML and SVG), and an animated GIF's frames."""
    st.caption("Every export uses the chosen font (HTML and SVG embed it) and polarity.")
    formats = {
        "txt": "text/plain",
        "html": "text/html",
        "ansi": "text/plain",
        "png": "image/png",
        "svg": "image/svg+xml",
    }
    for button, (format, mime) in zip(st.columns(len(formats)), formats.items()):
        files.download_inline(
            f".{format}",
            stamped(exported(result, format), format, result.config, upload),
            f"ascii-art.{format}",
            mime,
            key=f"ascii_download_{format}",
            target=button,
        )
    from ui import send

    send.send_menu(
        Image.open(io.BytesIO(exported(result, "png"))).convert("RGB"),
        words="your ASCII Art picture",
        parent=send.parent_of("ascii"),
        key="ascii_result",
        leave_out=("ascii",),
    )
    if upload is None or images.frame_count(upload) < 2:
        return
    frames, durations, frame_notes = animation_frames(upload)
    st.subheader(f"Animation: {len(frames)} frames")
    st.caption(
        "Every frame converted with one polarity and one tone curve for all of them, so the text "
        "does not flicker as bright things come and go."
    )
    for note in frame_notes:
        st.info(note)
    if st.toggle("Convert every frame", key="ascii_animate"):
        started = time.perf_counter()
        try:
            results = ascii_art.convert_frames(frames, result.config, result.font)
            gif = ascii_art.export_frames(results, "gif", durations)
        except ValueError as error:
            st.error(str(error))
        else:
            seconds = time.perf_counter() - started
            st.image(files.data_url(gif), caption=f"{len(results)} frames in {seconds:.1f} s", width="stretch")
            animation_downloads(results, durations, gif, upload)


def restored_widgets(values: dict) -> dict:
    """'Open an Atelier result': the widgets the declarations do not name (ui.restore)."""
    found = {"_covers": ["custom_charset", "font"]}  # a font file is not kept in a result: pick it again
    if values["custom_charset"]:
        found["ascii_custom"] = values["custom_charset"]
    return found


SWEEP_TOOL = "ascii-sweep"
# The settings worth sweeping, with values to start from: a number's spread or a choice's options.
SWEEPABLE = {
    "columns": "60,100,140",
    "p": "1,2,4",
    "contrast": "1,1.5,2",
    "gamma": "0.8,1,1.2",
    "edge_weight": "0,1,2",
    "local_contrast": "0,1,2",
    "charset": "ascii,ramp,letters,symbols",
    "method": "structure,ramp",
    "polarity": "paper,screen",
    "drawing": "photo,line-art",
    "font_size": "10,14,18",
}


def _sweep_tab():
    from ui.sweep import SweepTab

    return SweepTab("ascii", SWEEP_TOOL, "core.ascii.sweep:job", Config, SWEEPABLE, "ascii_sweep")


def sweep_panel(picture, config: ascii_art.AsciiConfig, font_file) -> None:
    """Sweep (``ui/sweep.py``): the grid of one or two settings as one job, from this picture."""
    from ui import sweep as sweep_ui

    note = ""
    if font_file is not None:
        note = "The sweep draws in the default font (an uploaded font is used by the page's own result)."
        config = dataclasses.replace(config, font="")

    def seconds_per_cell(middle: ascii_art.AsciiConfig) -> tuple[float, str]:
        started = time.perf_counter()
        ascii_art.render(ascii_art.convert(working_copy(picture), middle, ascii_art.load_font(middle.font or None)))
        seconds = time.perf_counter() - started
        return seconds, f"one cell took {seconds:.2f} s here"

    sweep_ui.panel(_sweep_tab(), config, {"image": picture.convert("RGB")}, seconds_per_cell, note=note)
