"""ASCII Art: structure-aware glyph matching, re-rendered live on every slider move; animated
GIFs frame by frame; the webcam live; video clips as background jobs."""

import dataclasses
import time
from pathlib import Path

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

import core.ascii as ascii_art
from core import images
from core import jobs as core_jobs
from core.configs import spec
from ui import ascii as ascii_ui
from ui import files, jobs, live, settings, video
from ui.common import page
from ui.inputs import image_input, uploaded_bytes

Config = ascii_art.AsciiConfig


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
TEXT_ADVANCE = 0.61  # em per monospace glyph, a little over DejaVu Sans Mono's 0.602: the Text tab fits its column


page(
    "ASCII Art",
    ":material/text_fields:",
    "Each character cell takes the glyph whose strokes and tone match it best, in a real monospace font.",
)

controls, output = st.columns([1, 2], gap="large")
with controls:
    picture = image_input("Picture", key="ascii", default_sample="Astronaut", show=False)
    columns = settings.widget(Config, "columns", key="ascii_columns")
    p = settings.widget(Config, "p", key="ascii_p")
    edge_weight = settings.widget(Config, "edge_weight", key="ascii_edge")
    contrast = settings.widget(Config, "contrast", key="ascii_contrast")
    gamma = settings.widget(Config, "gamma", key="ascii_gamma")
    local_contrast = settings.widget(
        Config,
        "local_contrast",
        key="ascii_local",
        help="How far contrast may be raised within each region of a photo (CLAHE clip "
        "limit). Glyphs can grey a cell by about a third at most, so spending that "
        "range on local detail keeps faces and edges readable. 0 = off.",
    )
    auto_levels = st.toggle(
        "Auto levels",
        value=Config().auto_levels,
        key="ascii_levels",
        help="Stretch the picture's 2nd-98th percentiles to white and black first.",
    )
    drawing = settings.widget(
        Config,
        "drawing",
        horizontal=True,
        key="ascii_drawing",
        format_func={"auto": "Auto", "photo": "Photo", "line-art": "Line art"}.get,
        help="Photo: black is the densest glyph. Line art (drawings, logos, text): a stroke "
        "matches a stroke. Auto tells them apart by how many mid-tones the picture has "
        "and whether its fills are flat (a drawing) or grainy (a photo, a night sky).",
    )
    charset = st.selectbox(
        spec(Config, "charset").label, list(CHARSET_LABELS), format_func=CHARSET_LABELS.get, key="ascii_charset"
    )
    custom = (
        st.text_input(spec(Config, "custom_charset").label, " .:oO@", key="ascii_custom") if charset == "custom" else ""
    )
    colour = settings.widget(
        Config, "colour_mode", horizontal=True, key="ascii_colour", format_func={"mono": "Mono", "colour": "Colour"}.get
    )
    polarity = settings.widget(
        Config,
        "polarity",
        horizontal=True,
        key="ascii_polarity",
        format_func=POLARITY_LABELS.get,
        help="Dark ink on light paper, or light glyphs on a dark ground as in a terminal. "
        "Text can only shade the top third of the grey scale on paper, the bottom third "
        "on a screen: auto picks the one whose brightness matches the picture better, so "
        "a mostly dark picture (a night sky, a black notebook) is drawn light on dark.",
    )
    baseline = st.toggle(
        "Brightness-ramp baseline",
        key="ascii_baseline",
        help="Compare with the classic method: each cell takes the glyph whose ink matches its darkness.",
    )
    with st.expander("Font and glyphs"):
        font_file = st.file_uploader(
            "Monospace font (TTF/OTF)", type=["ttf", "otf"], key="ascii_font", help="Default: DejaVu Sans Mono."
        )
        font_size = settings.widget(Config, "font_size", key="ascii_font_size")
        include = st.text_input(spec(Config, "include").label, "", key="ascii_include")
        exclude = st.text_input(spec(Config, "exclude").label, "", key="ascii_exclude")

head = output.container()  # the picture and its text, above the tabs (filled after the live tab)
text_tab, quality_tab, export_tab, live_tab, video_tab = output.tabs(
    ["Text", "Match quality", "Export", "Live camera", "Video file"]
)

with live_tab:  # first, so that a picture the page cannot convert leaves the camera working
    st.caption(
        "Your webcam, converted continuously at the settings on the left (columns, polarity, charset, "
        "contrast...): the video shows the text drawn in the font, and the text itself is below it."
    )
    try:
        live_font = ascii_ui.uploaded_font(font_file.getvalue()) if font_file is not None else ascii_art.load_font(None)
        live_config = ascii_art.AsciiConfig(
            columns=columns,
            p=p,
            charset=charset,
            custom_charset=custom,
            include=include,
            exclude=exclude,
            contrast=contrast,
            gamma=gamma,
            edge_weight=edge_weight,
            polarity=polarity,
            colour_mode=colour,
            auto_levels=auto_levels,
            local_contrast=local_contrast,
            drawing=drawing,
        )
    except ValueError as error:
        st.error(str(error))
    else:
        # The polarity of the last frame, so that auto keeps it through near ties (no black/white flicker).
        last = st.session_state.setdefault("ascii_live_last", {})

        paced, _ = live.pace("ascii_live", (40, 60, 80, 100, 120, 160, 200, 240, 320, columns), columns, "columns")

        def sketch_frame(frame: np.ndarray, config=live_config, font=live_font) -> tuple[np.ndarray, str]:
            if paced.side != config.columns:  # fewer columns while frames are slow
                config = dataclasses.replace(config, columns=paced.side)
            result = ascii_art.convert(frame, config, font, previous_polarity=last.get("polarity"))
            last["polarity"] = result.polarity
            return ascii_art.render(result, LIVE_PREVIEW_SIZE), result.text

        live.live_video("ascii_live", sketch_frame, show_text=True, paced=paced)

with video_tab:  # before the picture's own work too: a clip needs no picture
    st.caption(
        "A clip converted frame by frame at the settings on the left, with one tone curve for the whole "
        "clip (nothing flickers): a video of the text in the font, with the clip's sound, and a page of "
        "text that plays."
    )
    clip = video.clip_input("ascii_video")
    video_job = jobs.current_job(VIDEO_TOOL)
    if clip is not None:
        try:
            font_path = (
                str(jobs.manager().uploads.file(font_file.getvalue(), Path(font_file.name).suffix.lower()))
                if font_file is not None
                else ""
            )
            video_config = ascii_art.AsciiConfig(
                columns=columns,
                p=p,
                charset=charset,
                custom_charset=custom,
                include=include,
                exclude=exclude,
                font=font_path,
                font_size=font_size,
                contrast=contrast,
                gamma=gamma,
                edge_weight=edge_weight,
                polarity=polarity,
                colour_mode=colour,
                auto_levels=auto_levels,
                local_contrast=local_contrast,
                drawing=drawing,
            )
            plan = ascii_ui.ascii_clip_plan(str(clip.path), dataclasses.asdict(video_config))
        except ValueError as error:
            st.error(str(error))
        else:
            frame_font = ascii_art.load_font(video_config.font or None)

            def one_frame(frame, config=video_config, font=frame_font):
                return ascii_art.render(ascii_art.convert(frame, config, font))

            video_job = (
                video.start_panel(
                    VIDEO_TOOL,
                    "core.ascii.video:job",
                    clip,
                    plan,
                    {"clip": str(clip.path), "ascii": dataclasses.asdict(video_config)},
                    frame_cost=one_frame,
                    title=f"{clip.name}, {columns} columns",
                )
                or video_job
            )
    video.result_panel(
        VIDEO_TOOL, video_job, extra_downloads={core_jobs.RunFolder.PAGE: ("Playing page (HTML)", "text/html")}
    )

with head:
    if picture is None:
        st.info("Pick a picture to begin.")
        st.stop()
    try:
        font = ascii_ui.uploaded_font(font_file.getvalue()) if font_file is not None else ascii_art.load_font(None)
        config = ascii_art.AsciiConfig(
            columns=columns,
            p=p,
            charset=charset,
            custom_charset=custom,
            include=include,
            exclude=exclude,
            font_size=font_size,
            contrast=contrast,
            gamma=gamma,
            edge_weight=edge_weight,
            polarity=polarity,
            colour_mode=colour,
            method="ramp" if baseline else "structure",
            auto_levels=auto_levels,
            local_contrast=local_contrast,
            drawing=drawing,
        )
        source = ascii_ui.working_copy(picture)
        started = time.perf_counter()
        result = ascii_art.convert(source, config, font)
        # The preview is drawn about 1000 px wide whatever the columns; exports use font_size.
        preview_size = int(np.clip(1000 / (columns * font.advance), 4, 16))
        rendered = ascii_art.render(result, preview_size)
        took = time.perf_counter() - started
    except ValueError as error:
        st.error(str(error))
        st.stop()

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
        caption=f"{result.rows} x {columns} characters in {font.name}; read as {kind}; drawn {drawn}",
        width="stretch",
    )
    if polarity == "auto":
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
    c.metric("Time", f"{took * 1000:.0f} ms")
    d.metric("Glyphs", f"{len(result.usage())} of {len(result.characters)}")

with text_tab:
    # Drawn in its polarity (light-on-dark text shown dark on light would read as its negative) and,
    # in colour mode, in its colours; the font size follows the column's width (container query
    # units), so every line fits whatever the columns and the window.
    paper, ink = ("#000", "#fff") if result.screen else ("#fff", "#000")
    st.html(
        f'<div style="container-type:inline-size;width:100%"><pre style="background:{paper};color:{ink};'
        f"font-family:monospace;font-size:min(14px, calc((100cqi - 20px) / {columns * TEXT_ADVANCE:.2f}));"
        f'line-height:1.17;padding:10px;margin:0;overflow:hidden">{ascii_ui.coloured_text(result)}</pre></div>'
    )
    with st.expander("Plain text, to copy"):
        st.code(result.text, language=None)
with quality_tab:
    heat, usage = st.columns(2)
    heat.image(
        files.data_url(ascii_ui.heatmap(result)), caption="Match distance per cell (dark = good fit)", width="stretch"
    )
    counts = pd.DataFrame(list(result.usage().items())[:40], columns=["glyph", "cells"])
    counts["glyph"] = counts["glyph"].map(lambda g: "␠" if g == " " else g)
    usage.altair_chart(
        alt.Chart(counts)
        .mark_bar()
        .encode(x=alt.X("glyph:N", sort=None, title="glyph (most used first)"), y=alt.Y("cells:Q")),
        width="stretch",
        height=300,
    )
with export_tab:
    st.caption("Every export uses the chosen font (HTML and SVG embed it) and polarity.")
    formats = {
        "txt": "text/plain",
        "html": "text/html",
        "ansi": "text/plain",
        "png": "image/png",
        "svg": "image/svg+xml",
    }
    buttons = st.columns(len(formats))
    for button, (format, mime) in zip(buttons, formats.items()):
        files.download_inline(
            f".{format}",
            ascii_ui.exported(result, format),
            f"ascii-art.{format}",
            mime,
            key=f"ascii_download_{format}",
            target=button,
        )
    upload = uploaded_bytes("ascii")
    if upload is not None and images.frame_count(upload) > 1:
        frames, durations, frame_notes = ascii_ui.animation_frames(upload)
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
                results = ascii_art.convert_frames(frames, config, font)
                gif = ascii_art.export_frames(results, "gif", durations)
            except ValueError as error:
                st.error(str(error))
            else:
                st.image(
                    files.data_url(gif),
                    caption=f"{len(results)} frames in {time.perf_counter() - started:.1f} s",
                    width="stretch",
                )
                ascii_ui.animation_downloads(results, durations, gif)
