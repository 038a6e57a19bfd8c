"""Style Transfer: Gatys et al. through the ImageNet VGG19, as a background job."""

import dataclasses

import streamlit as st

from core import images, style
from ui import jobs
from ui.common import device_info, page
from ui.inputs import image_input

TOOL = "style"
WEIGHT_SCALE = [0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0]
TV_SCALE = [0.0, 0.001, 0.01, 0.1, 1.0, 10.0]

page("Style Transfer", ":material/palette:",
     "Repaint a photo in the style of a painting: the picture itself is optimised until an ImageNet "
     "VGG19 sees the photo's content and the painting's textures (Gatys, Ecker and Bethge, 2016).")

job_id = jobs.current_job(TOOL)
info = device_info(timeout=0) or {"device": "cpu"}
cap = style.size_cap(info.get("device", "cpu"))
defaults = style.StyleConfig()

pictures, settings = st.columns([3, 2], gap="large")
with pictures:
    left, right = st.columns(2)
    with left:
        content = image_input("Content", key="style_content", default_sample="Cat (Chelsea)", min_side=16)
    with right:
        style_picture = image_input("Style", key="style_style", default_sample="Starry Night", min_side=16)
    with st.expander("Blend a second style"):
        second = image_input("Second style", key="style_second", default_sample="Coffee", min_side=16) \
            if st.toggle("Use a second style", key="style_use_second") else None
        share = st.slider("Share of the second style", 0.0, 1.0, 0.5, key="style_share") if second else 0.0
with settings:
    size = st.slider("Size (longer side, px)", 64, cap, min(defaults.size, cap), step=32, key="style_size",
                     help=f"This device's cap is {cap} px. Each doubling costs about four times the time.")
    steps = st.slider("Steps", 10, 1000, defaults.steps, step=10, key="style_steps")
    optimizer = st.radio("Optimiser", ["lbfgs", "adam"], horizontal=True, key="style_optimizer",
                         format_func={"lbfgs": "L-BFGS (fewer steps)", "adam": "Adam"}.get)
    style_weight = st.select_slider("Style weight", WEIGHT_SCALE, value=1.0, key="style_style_weight",
                                    help="Log scale. Higher: more texture, less of the photo.")
    content_weight = st.select_slider("Content weight", WEIGHT_SCALE, value=1.0, key="style_content_weight",
                                      help="Log scale. Higher: the photo's layout holds.")
    tv_weight = st.select_slider("Smoothness (TV) weight", TV_SCALE, value=0.0, key="style_tv")
    with st.expander("More settings"):
        learning_rate = st.select_slider("Adam step (pixel units)", [0.3, 1.0, 3.0, 10.0], value=1.0,
                                         key="style_lr", disabled=optimizer != "adam")
        init = st.radio("Start from", list(style.INITS), horizontal=True, key="style_init")
        pooling = st.radio("Pooling", ["max", "avg"], horizontal=True, key="style_pooling")
        preserve = st.toggle("Keep the photo's colours", key="style_preserve")
        multiscale = st.toggle("Coarse to fine", key="style_multiscale",
                               help="A quarter of the steps at half size first: larger structures, same time.")
        style_scale = st.slider("Style scale", 0.25, 2.0, 1.0, step=0.25, key="style_scale",
                                help="Bigger brush strokes above 1.")
        seed = st.number_input("Seed", 0, 2**31 - 1, 0, key="style_seed")
    ready = content is not None and style_picture is not None
    if st.button("Start", type="primary", key="style_start", disabled=not ready):
        try:
            config = style.StyleConfig(
                size=size, steps=steps, optimizer=optimizer, learning_rate=learning_rate,
                content_weight=content_weight, style_weight=style_weight, tv_weight=tv_weight,
                style_blend=(1 - share, share) if second else (), style_scale=style_scale, init=init,
                pooling=pooling, preserve_colour=preserve, multiscale=multiscale, seed=int(seed),
                preview_every=max(1, steps // 20),
            )
        except ValueError as error:
            st.error(str(error))
        else:
            chosen = {"content": content, "style0": style_picture, "style1": second}
            # Inputs are kept with the run; 2048 px is more than any run here can use.
            inputs = {name: images.fit_within(picture, 2048) for name, picture in chosen.items() if picture is not None}
            job_id = jobs.start(TOOL, "core.style:job", dataclasses.asdict(config), inputs=inputs,
                                title=f"{steps} {optimizer} steps at {size} px")

if job_id:
    st.divider()
    jobs.job_view(job_id, curves=[["total"], ["style"], ["content"], ["tv"]])
    st.caption("Intermediate previews")
    jobs.preview_strip(job_id)
jobs.runs_list(TOOL, key="style-runs")
