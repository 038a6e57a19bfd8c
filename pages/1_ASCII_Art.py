"""ASCII Art: structure-aware glyph matching, re-rendered live on every slider move; animated
GIFs frame by frame; the webcam live; video clips as background jobs."""

import dataclasses

import streamlit as st

import core.ascii as ascii_art
from ui import ascii as ascii_ui
from ui import ascii_batch, presets, settings, tool_page
from ui.inputs import image_input, uploaded_bytes

Config = ascii_art.AsciiConfig

tool_page.tool_page(
    "ASCII Art",
    ":material/text_fields:",
    "Each character cell takes the glyph whose strokes and tone match it best, in a real monospace font.",
)

controls, output = tool_page.inputs_and_settings()
with controls:
    tool_page.open_result({"ascii": ascii_ui.restored_widgets})
    picture = image_input("Picture", key="ascii", default_sample="Astronaut", show=False)
    values = settings.values(Config, ascii_ui.FORM, prefix="ascii", widgets=ascii_ui.form_widgets())
    baseline = st.toggle(
        "Brightness-ramp baseline",
        key="ascii_baseline",
        help="Compare with the classic method: each cell takes the glyph whose ink matches its darkness.",
    )
    with st.expander("Font and glyphs"):
        font_file = st.file_uploader(
            "Monospace font (TTF/OTF)", type=["ttf", "otf"], key="ascii_font", help="Default: DejaVu Sans Mono."
        )
        values |= settings.values(Config, ascii_ui.FONT_FORM, prefix="ascii", widgets=ascii_ui.form_widgets())
    try:
        config, font = settings.build(Config, values), ascii_ui.font_for(font_file)
    except ValueError as error:
        config, font, problem = None, None, str(error)
    presets.remember("ascii", config)  # what "Save as a preset" saves, and what comes back next visit

head = output.container()  # the picture and its text, above the tabs (filled after the camera's tab)
tabs = tool_page.tabs("Result", "Live camera", "Video file", "Sweep", "Batch", "Earlier runs")
with tabs["Live camera"]:  # first, so that a picture the page cannot convert leaves the camera working
    if config is None:
        st.error(problem)
    else:
        ascii_ui.live_panel(config, font)
with tabs["Video file"]:  # a clip needs no picture
    if config is None:
        st.error(problem)
    else:
        ascii_ui.video_panel(config, font_file)
with tabs["Batch"]:  # pictures of its own
    ascii_batch.batch_panel(config, font_file)
with tabs["Earlier runs"]:
    tool_page.earlier_runs(
        (ascii_ui.VIDEO_TOOL, "Video files"), (ascii_ui.SWEEP_TOOL, "Sweeps"), (ascii_batch.BATCH_TOOL, "Batches")
    )

with head:
    if picture is None:
        st.info("Pick a picture to begin.")
        st.stop()
    if config is None:
        st.error(problem)
        st.stop()
    try:
        shown = dataclasses.replace(config, method="ramp") if baseline else config
        source = ascii_ui.working_copy(picture)
        result, rendered, seconds = ascii_ui.convert_with_timing(source, shown, font)
    except ValueError as error:
        st.error(str(error))
        st.stop()
    ascii_ui.picture_panel(picture, source, result, rendered, seconds, baseline)

with tabs["Sweep"]:
    ascii_ui.sweep_panel(picture, config, font_file)

with tabs["Result"]:
    text_tab, quality_tab, export_tab = st.tabs(["Text", "Match quality", "Export"])
    with text_tab:
        ascii_ui.text_panel(result)
    with quality_tab:
        ascii_ui.quality_panel(result)
    with export_tab:
        ascii_ui.export_panel(result, uploaded_bytes("ascii"))
