"""Style Transfer: an instant preview on every move, then Gatys et al. through the ImageNet VGG19
as a background job (one photo, a batch, regions with their own styles, or a big tiled picture);
the webcam live and video clips through the instant network."""

import dataclasses

import numpy as np
import streamlit as st
from PIL import Image

from core import images, style
from core.configs import spec
from core.style import tiles
from ui import jobs, live, settings, video
from ui import style as style_ui
from ui.common import device_info, format_seconds, page
from ui.compare import before_after
from ui.inputs import image_input

TOOL = "style"
Config = style.StyleConfig


VIDEO_TOOL = "style-video"
INIT_WORDS = {"content": "the photo", "instant": "the instant preview", "noise": "noise", "style": "the painting"}
PREVIEW_SIDE = 512  # the instant preview's longer side
LIVE_SIDES = (96, 128, 160, 192, 256, 320, 384, 512)  # the camera's working sizes, down to where 10 fps holds

page(
    "Style Transfer",
    ":material/palette:",
    "Repaint a photo in the style of a painting. A feed-forward network shows a preview at once; the "
    "optimisation (Gatys, Ecker and Bethge, 2016) then repaints it properly through an ImageNet VGG19.",
)


# The same top-level tabs as Photo to Sketch: the picture and its job, then the camera, then a clip.
photo_section, live_section, video_section = st.tabs(["Photo", "Live camera", "Video file"])
with photo_section:
    job_id = jobs.current_job(TOOL)
    info = device_info(timeout=0) or {"device": "cpu"}
    device_type = info.get("device", "cpu")
    cap = style.size_cap(device_type)
    defaults = style.StyleConfig()

    pictures_column, settings_column = st.columns([3, 2], gap="large")
    with pictures_column:
        left, right = st.columns(2)
        with left:
            content = image_input("Content", key="style_content", default_sample="Cat (Chelsea)", min_side=16)
        with right:
            painting = image_input("Style", key="style_style", default_sample="Starry Night", min_side=16, show=False)
            trim = st.toggle(
                "Trim the painting's frame",
                value=True,
                key="style_trim",
                help="Dark or light bands along the edges (a frame, a mount, a scan margin) would "
                "come back as bars in the result.",
            )
            painting = style_ui.trimmed(painting, trim, show=True)
        with st.expander("Blend a second style"):
            second = (
                image_input("Second style", key="style_second", default_sample="Coffee", min_side=16)
                if st.toggle("Use a second style", key="style_use_second")
                else None
            )
            second = style_ui.trimmed(second, trim)
            share = st.slider("Share of the second style", 0.0, 1.0, 0.5, key="style_share") if second else 0.0

    with settings_column:
        strength = st.slider(
            "Stylisation strength",
            0.0,
            1.0,
            style.STRENGTH_DEFAULT,
            step=0.05,
            key="style_strength",
            help="Low keeps the photo; high paints over it. The default keeps the subject "
            "recognisable on the bundled pictures (see the content distance under a result).",
        )
        tiled = settings.widget(
            Config,
            "tiled",
            key="style_tiled",
            help=f"Past {cap} px the picture is refined in tiles whose grid moves every step, so no "
            "seam appears. Slow on a CPU: the time is estimated below before you start.",
        )
        largest = min(tiles.LARGEST, 4096) if tiled else cap
        size = st.slider(
            "Size (longer side, px)",
            64,
            largest,
            min(defaults.size, largest),
            step=32,
            key="style_size",
            help=f"This device's cap without tiles is {cap} px. Each doubling costs about four times the time.",
        )
        # On a CPU the page starts at fewer steps, so the default run ends in about 2 minutes.
        steps = settings.widget(
            Config,
            "steps",
            key="style_steps",
            value=style.CPU_PAGE_STEPS if device_type == "cpu" else None,
            help=f"{spec(Config, 'steps').help}. The default here ({style.CPU_PAGE_STEPS} on a CPU, "
            f"{defaults.steps} on a GPU) ends in about 2 minutes at {defaults.size} px on "
            "2 CPU cores; more steps refine the texture further.",
        )
        optimizer = settings.widget(
            Config,
            "optimizer",
            horizontal=True,
            key="style_optimizer",
            format_func={"lbfgs": "L-BFGS (fewer steps)", "adam": "Adam"}.get,
        )
        init = settings.widget(
            Config,
            "init",
            options=tuple(INIT_WORDS),
            horizontal=True,
            key="style_init",
            format_func=INIT_WORDS.get,
            help="The instant preview is already stylised, so the optimisation reaches the same losses "
            "in fewer steps (bench/style.py).",
        )
        with st.expander("More settings"):
            own_weights = st.toggle("Set the weights yourself (instead of the strength)", key="style_own_weights")
            # Set by hand, the style weight starts at 1 (the paper's equal weights), not the strength's.
            style_weight = settings.widget(
                Config, "style_weight", value=1.0, key="style_style_weight", disabled=not own_weights
            )
            content_weight = settings.widget(
                Config, "content_weight", key="style_content_weight", disabled=not own_weights
            )
            tv_weight = settings.widget(Config, "tv_weight", key="style_tv")
            learning_rate = settings.widget(Config, "learning_rate", key="style_lr", disabled=optimizer != "adam")
            pooling = settings.widget(Config, "pooling", horizontal=True, key="style_pooling")
            preserve = settings.widget(Config, "preserve_colour", key="style_preserve")
            multiscale = settings.widget(Config, "multiscale", key="style_multiscale")
            style_scale = settings.widget(Config, "style_scale", key="style_scale")
            seed = settings.widget(Config, "seed", key="style_seed", min_value=0, max_value=2**31 - 1)
        if not own_weights:
            style_weight, content_weight = style.style_weight_for(strength), 1.0

        region_styles, mask = (), None
        with st.expander("Regional style (a mask)"):
            if st.toggle("Give regions of the photo their own style", key="style_regions") and content is not None:
                region_styles, mask = style_ui.regional_style(content, two_styles=second is not None)

        batch = []
        with st.expander("Several photos as one job"):
            uploads = st.file_uploader(
                "Photos (each stylised with these settings)",
                type=images.UPLOAD_TYPES,
                accept_multiple_files=True,
                key="style_batch",
            )
            for upload in uploads or []:
                try:
                    batch.append((upload.name, images.load_image(upload.getvalue(), min_side=16)))
                except ValueError as error:
                    st.warning(f"{upload.name} is left out: {error}")
            if batch:
                st.caption(
                    f"{len(batch)} photo{'s' if len(batch) > 1 else ''} in the batch; the content picture "
                    "above is not used. Each result is saved in the run (download the whole run as a zip)."
                )

        shape = (
            style.fit_size(content if content is not None else batch[0][1], size)
            if content is not None or batch
            else (size, round(size * 0.75))
        )
        estimated = None
        if tiled or size > cap:
            cost = tiles.estimate(shape, steps - steps // 2, device_type)
            st.info(
                f"About {format_seconds(cost['seconds'] * max(1, len(batch)))} on this {device_type.upper()} at "
                f"{shape[0]}x{shape[1]} px (the tiled half of the steps dominates), about "
                f"{cost['bytes'] / 2**30:.1f} GB of memory.",
                icon=":material/schedule:",
            )
        else:
            planned = style.StyleConfig(
                size=size, steps=steps, optimizer=optimizer, pooling=pooling, multiscale=multiscale
            )
            estimated = jobs.estimate(
                TOOL,
                style.plan(planned, shape, max(1, len(batch))),
                first_guess_rate=style.FIRST_GUESS_SECONDS_PER_MEGAPIXEL_STEP.get(device_type, 25.0),
                what=f"{len(batch)} photos" if batch else f"{shape[0]}x{shape[1]} px",
            )
        ready = (content is not None or batch) and painting is not None
        if st.button(
            f"Start ({len(batch)} photos)" if batch else "Start", type="primary", key="style_start", disabled=not ready
        ):
            try:
                config = style.StyleConfig(
                    size=size,
                    steps=steps,
                    optimizer=optimizer,
                    learning_rate=learning_rate,
                    content_weight=content_weight,
                    style_weight=style_weight,
                    tv_weight=tv_weight,
                    style_blend=(1 - share, share) if second else (),
                    style_scale=style_scale,
                    init=init,
                    pooling=pooling,
                    preserve_colour=preserve,
                    multiscale=multiscale,
                    seed=int(seed),
                    preview_every=max(1, steps // 20),
                    region_styles=region_styles,
                    tiled=tiled,
                )
                if tiled:
                    style.check_tiled(
                        config, style.fit_size(content if content is not None else batch[0][1], size), device_type
                    )
            except ValueError as error:
                st.error(str(error))
            else:
                given = style.StyleInputs(
                    styles=[picture for picture in (painting, second) if picture is not None],
                    content=None if batch else content,
                    mask=mask if mask is not None and region_styles else None,
                    batch=list(batch),
                )
                inputs, parameters = given.pictures(), dataclasses.asdict(config)
                if batch:
                    parameters["batch_names"] = given.batch_names()
                target = "core.style:batch_job" if batch else "core.style:job"
                what = f"{len(batch)} photos, " if batch else ""
                job_id = jobs.start(
                    TOOL,
                    target,
                    parameters,
                    inputs=inputs,
                    estimated=estimated,
                    title=f"{what}{steps} {optimizer} steps at {size} px, strength {strength:g}",
                )

    painting_png = style_ui.png(painting) if painting is not None else None  # once a run: three panels use it
    if content is not None and painting is not None:
        st.divider()
        st.subheader("Instant preview")
        try:
            preview, seconds = style_ui.instant_preview(
                style_ui.png(content), painting_png, PREVIEW_SIDE, min(1.0, strength / 0.75)
            )
        except ValueError as error:
            st.error(str(error))
        else:
            shown, words = st.columns([3, 2])
            with shown:
                before_after(
                    content.resize((preview.shape[1], preview.shape[0])),
                    preview,
                    labels=("Photo", "Instant"),
                    width=560,
                    key="instant",
                )
            with words:
                st.metric("Made in", f"{seconds:.2f} s")
                st.caption(
                    "A feed-forward network (Magenta's arbitrary stylisation, Ghiasi et al. 2017) repaints "
                    "the photo in one pass, at 384 px scaled to the preview. It follows the strength slider. "
                    'Start the optimisation for the real thing; "Start from the instant preview" begins '
                    "there and needs fewer steps."
                )

    if job_id:
        st.divider()
        st.subheader("Optimisation")
        jobs.job_view(
            job_id,
            curves=[["total"], ["style"], ["content"], ["content_distance"], ["tv"]],
            extra=style_ui.result_panel,
        )
    jobs.runs_list(TOOL, key="style-runs")


def live_tab() -> None:
    """The webcam in the chosen painting's style, by the instant network at the frame's own size
    (the painting's style vector computed once), with the strength slider applied live."""
    if painting is None:
        st.info("Pick a painting in the Photo tab (the style) to paint your camera with it.")
        return
    controls, shown = st.columns([1, 2], gap="large")
    with controls:
        side = st.select_slider(
            "Working size (longer side, px)",
            [192, 256, 320, 384, 512],
            value=256,
            key="style_live_side",
            help="Smaller is faster: bench/video.py measures 256 and 384.",
        )
        steady = st.toggle(
            "Steady strokes",
            key="style_live_steady",
            help="Carries the last painted frame along the camera's motion and blends it in, as the "
            "video files do: less flicker, a few frames per second fewer.",
        )
        st.caption(f"Strength {strength:g} and the painting, both set in the Photo tab, apply live.")
    painting_vector = style_ui.style_vector(painting_png)
    instant_module = style_ui.instant_module()
    # The camera's own style vector (for strengths below 1): taken from its first frame once.
    state = st.session_state.setdefault("style_live_state", {})
    if steady and "stabiliser" not in state:
        from core.style import temporal

        state["stabiliser"] = temporal.Stabiliser()
    elif not steady:
        state.pop("stabiliser", None)

    paced, _ = live.pace("style_live", LIVE_SIDES, side)

    # Bound now: the camera thread paints with the settings of the rerun that drew this page.
    strength_now = style_ui.instant_strength(strength)

    def paint(frame: np.ndarray, vector=painting_vector, share=strength_now):
        small = np.asarray(images.fit_within(Image.fromarray(frame), paced.side))  # lowered while frames are slow
        if "own" not in state:
            state["own"] = instant_module.style_vector(Image.fromarray(small))
        painted = instant_module.stylise_frame(small, instant_module.blend_vectors(vector, state["own"], share))
        stabiliser = state.get("stabiliser")
        return (stabiliser(small, painted) if stabiliser is not None else painted), None

    with shown:
        live.live_video("style_live", paint, height=360, paced=paced)


def video_tab() -> None:
    """A clip in the chosen painting's style, frame by frame as a job, steadied along its motion."""
    from core.style import video as style_video

    st.caption(
        "The instant network paints every frame of a clip in the painting chosen in the Photo tab, at its strength; "
        "each frame then keeps part of the previous one, carried along the clip's motion, wherever that "
        "motion can be trusted (Ruder et al. 2016), so the strokes do not flicker. The sound is kept."
    )
    if painting is None:
        st.info("Pick a painting in the Photo tab (the style) first.")
        return
    clip = video.clip_input("style_video")
    video_job = jobs.current_job(VIDEO_TOOL)
    if clip is not None:
        left, right = st.columns(2)
        side = left.select_slider(
            "Frame size (longer side, px)",
            [256, 320, 384, 480, 640, 720, 960, 1280],
            value=480,
            key="style_video_side",
            help="Larger is sharper and slower.",
        )
        steadiness = right.slider(
            "Steadiness",
            0.0,
            0.9,
            style_video.DEFAULT_STEADINESS,
            step=0.05,
            key="style_video_steadiness",
            help="How much of the previous frame, carried along the motion, each frame keeps. "
            "0 paints every frame on its own (it flickers); high values trail a little.",
        )
        try:
            config = style_video.StyleVideoConfig(
                clip=str(clip.path), strength=style_ui.instant_strength(strength), steadiness=steadiness, side=side
            )
            plan = style_video.clip_plan(clip.path, config)
        except ValueError as error:
            st.error(str(error))
        else:
            from core.style import temporal

            vector = style_ui.style_vector(painting_png)
            instant_module = style_ui.instant_module()

            def one_frame(frame: np.ndarray) -> np.ndarray:
                # As the job does: the painting's vector blended with the clip's own (its first frame).
                own = instant_module.style_vector(Image.fromarray(frame))
                painted = instant_module.stylise_frame(
                    frame, instant_module.blend_vectors(vector, own, config.strength)
                )
                stabiliser = temporal.Stabiliser(steadiness)
                stabiliser(frame, painted)
                return stabiliser(frame, painted)  # the second call pays for the two optical flows

            video_job = (
                video.start_panel(
                    VIDEO_TOOL,
                    "core.style.video:job",
                    clip,
                    plan,
                    dataclasses.asdict(config),
                    frame_cost=one_frame,
                    inputs={"style": images.fit_within(painting, 1024)},
                    title=f"{clip.name} at {side} px, steadiness {steadiness:g}",
                )
                or video_job
            )
    video.result_panel(VIDEO_TOOL, video_job)


with live_section:
    live_tab()
with video_section:
    video_tab()
