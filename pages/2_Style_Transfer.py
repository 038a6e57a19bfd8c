"""Style Transfer: an instant preview on every move, then Gatys et al. through the ImageNet VGG19
as a background job (one photo, a batch, regions with their own styles, or a big tiled picture);
the webcam live and video clips through the instant network."""

import streamlit as st

from core import style
from ui import jobs, presets, settings, tool_page
from ui import style as style_ui
from ui.common import device_info

Config = style.StyleConfig

tool_page.tool_page(
    "Style Transfer",
    ":material/palette:",
    "Repaint a photo in the style of a painting. A feed-forward network shows a preview at once; the "
    "optimisation (Gatys, Ecker and Bethge, 2016) then repaints it properly through an ImageNet VGG19.",
)
job_id = jobs.current_job(style_ui.TOOL)
device_type = (device_info(timeout=0) or {"device": "cpu"}).get("device", "cpu")
cap = style.size_cap(device_type)

pictures_column, settings_column = tool_page.inputs_and_settings((3, 2))
with pictures_column:
    content, painting, second, share = style_ui.picture_inputs()
with settings_column:
    tool_page.open_result({"style": style_ui.restored_widgets, "style-video": style_ui.restored_video_widgets})
    strength = style_ui.strength_slider()
    widgets = style_ui.form_widgets(cap, st.session_state.get("style_tiled", False), device_type, "lbfgs")
    values = settings.values(Config, ("tiled", "size", "steps", "optimizer", "init"), prefix="style", widgets=widgets)
    widgets = style_ui.form_widgets(cap, values["tiled"], device_type, values["optimizer"])
    with st.expander("More settings"):
        values |= style_ui.own_weights(strength)
        values |= settings.values(Config, style_ui.MORE, prefix="style", widgets=widgets)
    region_styles, mask = (), None
    with st.expander("Regional style (a mask)"):
        if st.toggle("Give regions of the photo their own style", key="style_regions") and content is not None:
            region_styles, mask = style_ui.regional_style(content, two_styles=second is not None)
    with st.expander("Several photos as one job"):
        batch = style_ui.batch_input()
    first = content if content is not None else batch[0][1] if batch else None
    try:
        config = settings.build(
            Config,
            values,
            seed=int(values["seed"]),
            style_blend=(1 - share, share) if second else (),
            preview_every=max(1, values["steps"] // 20),
            region_styles=region_styles,
        )
        shape = style.fit_size(first, config.size) if first is not None else (config.size, round(config.size * 0.75))
        if config.tiled:
            style.check_tiled(config, shape, device_type)
    except ValueError as error:
        config, problem = None, str(error)
        st.error(problem)
    presets.remember("style", config)  # what "Save as a preset" saves, and what comes back next visit
    estimated = style_ui.estimate_panel(config, shape, batch, device_type) if config else None
    ready = config is not None and first is not None and painting is not None
    label = f"Start ({len(batch)} photos)" if batch else "Start"
    if st.button(label, type="primary", key="style_start", disabled=not ready):
        job_id = style_ui.start(config, painting, second, content, mask, batch, strength, estimated)

painting_png = style_ui.png(painting) if painting is not None else None  # once a run: three panels use it
tabs = tool_page.tabs("Result", "Live camera", "Video file", "Sweep", "Earlier runs")
with tabs["Result"]:
    if content is not None and painting is not None:
        style_ui.instant_panel(content, painting_png, strength)
    if job_id:
        st.divider()
        st.subheader("Optimisation")
        curves = [["total"], ["style"], ["content"], ["content_distance"], ["tv"]]
        jobs.job_view(job_id, curves=curves, extra=style_ui.result_panel)
with tabs["Live camera"]:
    style_ui.live_panel(painting_png, strength)
with tabs["Video file"]:
    style_ui.video_panel(painting, painting_png, strength)
with tabs["Sweep"]:
    style_ui.sweep_panel(config, content, painting, second, device_type)
with tabs["Earlier runs"]:
    tool_page.earlier_runs(
        (style_ui.TOOL, "Photos"), (style_ui.VIDEO_TOOL, "Video files"), (style_ui.SWEEP_TOOL, "Sweeps")
    )
