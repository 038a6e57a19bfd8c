"""Style Transfer's Streamlit helpers: the instant network's cached previews, the painting's frame
trim, the regional mask (painted or uploaded), and the result panel of a run."""

from __future__ import annotations

import io
import logging
import time

import numpy as np
import streamlit as st
from PIL import Image

from core import style
from core.style import pictures, tiles
from ui import files, jobs, restore
from ui.compare import before_after


@st.cache_resource(show_spinner=False)
def instant_module():
    from core.style import instant  # onnxruntime: light, and it shares nothing with torch or TensorFlow

    return instant


def png(picture: Image.Image) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


@st.cache_data(max_entries=32, show_spinner=False)
def style_vector(picture_png: bytes) -> np.ndarray:
    return instant_module().style_vector(Image.open(io.BytesIO(picture_png)))


@st.cache_data(max_entries=32, show_spinner=False)
def instant_preview(content_png: bytes, style_png: bytes, side: int, strength: float) -> tuple[np.ndarray, float]:
    """The preview and the seconds it took (the two style vectors come from their own cache, so
    a slider move costs one pass of the transformer)."""
    painting_vector, own_vector = style_vector(style_png), style_vector(content_png)
    started = time.perf_counter()
    picture = instant_module().stylise(
        Image.open(io.BytesIO(content_png)), None, side, strength, vector=painting_vector, own_vector=own_vector
    )
    return picture, time.perf_counter() - started


def instant_strength(slider: float) -> float:
    """The page's strength slider for the instant network (as for the preview above)."""
    return min(1.0, slider / 0.75)


def trimmed(picture, trim: bool, show: bool = False):
    """The painting with its frame trimmed off (when asked), shown with what was cut; None, and
    the reason in the page, for one that cannot be used."""
    if picture is None:
        return None
    try:
        note = ""
        if trim:
            picture, widths = pictures.trim_frame(picture)
            note = pictures.describe_trim(widths)
    except ValueError as error:
        st.error(str(error))
        return None
    if show:
        st.image(
            files.data_url(picture),
            caption=f"{picture.width}x{picture.height}" + (f" · {note}" if note else ""),
            width="stretch",
        )
    return picture


def painted_mask(content):
    """The regions painted with the red and blue brushes over the photo, or None."""
    brush = st.radio("Brush", list(pictures.REGION_COLOURS), horizontal=True, key="style_brush")
    width = 300  # fits the settings column; the mask is scaled to the photo afterwards
    height = max(16, round(width * content.height / content.width))
    try:
        from streamlit_drawable_canvas import st_canvas

        red, green, blue = pictures.REGION_COLOURS[brush]
        drawn = st_canvas(
            stroke_width=28,
            stroke_color=f"rgb({red},{green},{blue})",
            background_image=content.resize((width, height)),
            height=height,
            width=width,
            drawing_mode="freedraw",
            return_image_data=True,
            key="style_canvas",
        )
    except Exception as error:  # the component missing or failing must not take the page down
        logging.getLogger(__name__).warning("the mask canvas failed", exc_info=True)
        st.warning(f"The painting canvas is not available here ({type(error).__name__}); upload a mask.")
        return None
    data = drawn.image_data
    return Image.fromarray(data.astype(np.uint8), mode="RGBA") if data is not None and data[..., 3].any() else None


def uploaded_mask():
    upload = st.file_uploader("Mask picture", type=["png", "jpg", "jpeg", "webp", "bmp"], key="style_mask_upload")
    if upload is None:
        return None
    try:
        mask = Image.open(io.BytesIO(upload.getvalue()))
        mask.load()
        return mask
    except OSError:
        st.error("That mask is not a picture that can be read.")
        return None


def regional_style(content, two_styles: bool) -> tuple[tuple[str, ...], object]:
    """A mask (painted or uploaded) and what each of its regions gets: (region styles, mask)."""
    st.caption(
        "Paint the regions on the photo (red and blue brushes), or upload a mask (red and blue regions, or "
        "black and white). Each region gets its own style through masked Gram matrices (Gatys et al. 2017), "
        "not a paste of two results."
    )
    how = st.radio("Mask", ["Paint it", "Upload it"], horizontal=True, key="style_mask_source")
    mask = painted_mask(content) if how == "Paint it" else uploaded_mask()
    if mask is None:
        st.caption("No mask yet: the whole photo gets one style.")
        return (), None
    labels, notes = pictures.regions_from_mask(mask, content.size)
    for note in notes if how == "Upload it" else []:  # a painted mask is scaled by design
        st.caption(f"Note: {note}.")
    options = ["0", "1", "keep"] if two_styles else ["0", "keep"]
    words = {"0": "the style picture", "1": "the second style", "keep": "keep the photo"}
    chosen = []
    for label, name in enumerate(["Unpainted (or black)", "Red (or white)", "Blue"]):
        cover = float((labels == label).mean())
        if cover == 0 and label > 0:
            chosen.append("0")
            continue
        chosen.append(
            st.selectbox(
                f"{name}: {cover:.0%} of the photo",
                options,
                format_func=words.get,
                index=options.index("keep") if label == 0 and cover < 1 else 0,
                key=f"style_region_{label}",
            )
        )
    if len(set(labels.ravel().tolist())) < 2:
        st.info("The mask has one region only, so the whole photo gets one style.")
    return tuple(chosen), mask


def result_panel(snapshot) -> None:
    """Inside the live panel: the previews so far, then the result against the photo."""
    strip = jobs.manager().previews(snapshot.id)
    if len(strip) > 1:
        st.caption("Previews so far" if snapshot.active else "Previews")
        jobs.preview_strip(snapshot.id)
    distance = (snapshot.card.get("final_metrics") or {}).get("content_distance")
    if distance is None and snapshot.history:
        distance = snapshot.history[-1].get("content_distance")
    if snapshot.result_path is not None and not snapshot.active:
        photo = jobs.manager().folder(snapshot.id).input("content")
        left, right = st.columns([3, 2])
        with left:
            if photo.exists():
                before_after(Image.open(photo), Image.open(snapshot.result_path), width=560, key=snapshot.id)
        with right:
            if distance is not None:
                kept = distance <= style.CONTENT_DISTANCE_BOUND
                st.metric(
                    "Content distance",
                    f"{distance:.2f}",
                    help="How far VGG sees the result's layout from the photo's (conv4_2; 0 = the photo). "
                    f"In calibration the subject stayed recognisable up to {style.CONTENT_DISTANCE_BOUND}.",
                )
                st.caption(
                    "The subject should still read."
                    if kept
                    else "Past the calibrated bound: the subject may be lost. Lower the strength."
                )
            from ui import send

            send.send_menu(
                Image.open(snapshot.result_path).convert("RGB"),
                words=f"your Style Transfer run {snapshot.id}",
                parent=snapshot.id,
                key=f"style_result_{snapshot.id}",
            )
            if jobs.manager().folder(snapshot.id).results.is_dir():  # several photos as one job
                from ui import batch

                batch.made_files(snapshot.id, "style_batch_made")


# --- the page's panels ----------------------------------------------------------------------------

TOOL = "style"
VIDEO_TOOL = "style-video"
INIT_WORDS = {"content": "the photo", "instant": "the instant preview", "noise": "noise", "style": "the painting"}
PREVIEW_SIDE = 512  # the instant preview's longer side
LIVE_SIDES = (96, 128, 160, 192, 256, 320, 384, 512)  # the camera's working sizes, down to where 10 fps holds
MORE = ("tv_weight", "learning_rate", "pooling", "preserve_colour", "multiscale", "style_scale", "seed")


def picture_inputs():
    """The photo, the painting (its frame trimmed) and an optional second painting with its share."""
    from ui.inputs import image_input

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
        painting = trimmed(painting, trim, show=True)
    with st.expander("Blend a second style"):
        second = (
            image_input("Second style", key="style_second", default_sample="Coffee", min_side=16)
            if st.toggle("Use a second style", key="style_use_second", **restore.initial("style_use_second", False))
            else None
        )
        second = trimmed(second, trim)
        share = (
            st.slider("Share of the second style", 0.0, 1.0, **restore.initial("style_share", 0.5), key="style_share")
            if second
            else 0.0
        )
    return content, painting, second, share


VIDEO_SIDES = [256, 320, 384, 480, 640, 720, 960, 1280]  # a video's frame sizes (longer side, px)


def form_widgets(cap: int, tiled: bool, device_type: str, optimizer: str) -> dict:
    """How the page offers the settings that need more than their declaration."""
    from core import configs

    defaults = style.StyleConfig()
    largest = min(tiles.LARGEST, 4096) if tiled else cap
    return {
        "tiled": {
            "key": "style_tiled",
            "help": f"Past {cap} px the picture is refined in tiles whose grid moves every step, so no seam "
            "appears. Slow on a CPU: the time is estimated below before you start.",
        },
        "size": lambda: st.slider(
            "Size (longer side, px)",
            64,
            largest,
            **restore.initial("style_size", min(defaults.size, largest)),
            step=32,
            key="style_size",
            help=f"This device's cap without tiles is {cap} px. Each doubling costs about four times the time.",
        ),
        # On a CPU the page starts at fewer steps, so the default run ends in about 2 minutes.
        "steps": {
            "value": style.CPU_PAGE_STEPS if device_type == "cpu" else None,
            "help": f"{configs.spec(style.StyleConfig, 'steps').help}. The default here ({style.CPU_PAGE_STEPS} "
            f"on a CPU, {defaults.steps} on a GPU) ends in about 2 minutes at {defaults.size} px on 2 CPU cores; "
            "more steps refine the texture further.",
        },
        "optimizer": {"horizontal": True, "format_func": {"lbfgs": "L-BFGS (fewer steps)", "adam": "Adam"}.get},
        "init": {
            "options": tuple(INIT_WORDS),
            "horizontal": True,
            "format_func": INIT_WORDS.get,
            "help": "The instant preview is already stylised, so the optimisation reaches the same losses "
            "in fewer steps (bench/style.py).",
        },
        "tv_weight": {"key": "style_tv"},
        "learning_rate": {"key": "style_lr", "disabled": optimizer != "adam"},
        "pooling": {"horizontal": True},
        "preserve_colour": {"key": "style_preserve"},
        "style_scale": {"key": "style_scale"},
        "seed": {"min_value": 0, "max_value": 2**31 - 1},
    }


def strength_slider() -> float:
    return st.slider(
        "Stylisation strength",
        0.0,
        1.0,
        **restore.initial("style_strength", style.STRENGTH_DEFAULT),
        step=0.05,
        key="style_strength",
        help="Low keeps the photo; high paints over it. The default keeps the subject "
        "recognisable on the bundled pictures (see the content distance under a result).",
    )


def own_weights(strength: float) -> dict:
    """The style and content weights: the strength's, or set by hand."""
    from ui import settings

    restore.place("style_own_weights")  # what "Open an Atelier result" applied
    chosen = st.toggle("Set the weights yourself (instead of the strength)", key="style_own_weights")
    # Set by hand, the style weight starts at 1 (the paper's equal weights), not the strength's.
    style_weight = settings.widget(
        style.StyleConfig, "style_weight", value=1.0, key="style_style_weight", disabled=not chosen
    )
    content_weight = settings.widget(
        style.StyleConfig, "content_weight", key="style_content_weight", disabled=not chosen
    )
    if not chosen:
        style_weight, content_weight = style.style_weight_for(strength), 1.0
    return {"style_weight": style_weight, "content_weight": content_weight}


def batch_input() -> list:
    """Several photos as one job: (name, picture) each; the ones that cannot be read are said."""
    from core import images

    batch = []
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
            "above is not used. Each result is saved with its settings inside, beside a contact sheet and one zip "
            "of them all; a photo that fails is listed with its reason and the rest go on."
        )
    return batch


def estimate_panel(config: style.StyleConfig, shape, batch: list, device_type: str):
    """What the run will cost, said before Start; the estimate to keep with the run (None when tiled)."""
    from ui.common import format_seconds

    if config.tiled or config.size > style.size_cap(device_type):
        cost = tiles.estimate(shape, config.steps - config.steps // 2, device_type)
        st.info(
            f"About {format_seconds(cost['seconds'] * max(1, len(batch)))} on this {device_type.upper()} at "
            f"{shape[0]}x{shape[1]} px (the tiled half of the steps dominates), about "
            f"{cost['bytes'] / 2**30:.1f} GB of memory.",
            icon=":material/schedule:",
        )
        return None
    return jobs.estimate(
        TOOL,
        style.plan(config, shape, max(1, len(batch))),
        first_guess_rate=style.FIRST_GUESS_SECONDS_PER_MEGAPIXEL_STEP.get(device_type, 25.0),
        what=f"{len(batch)} photos" if batch else f"{shape[0]}x{shape[1]} px",
    )


def start(config: style.StyleConfig, painting, second, content, mask, batch: list, strength: float, estimated) -> str:
    """The run's inputs into a new job; its id."""
    import dataclasses

    given = style.StyleInputs(
        styles=[picture for picture in (painting, second) if picture is not None],
        content=None if batch else content,
        mask=mask if mask is not None and config.region_styles else None,
        batch=list(batch),
    )
    parameters = dataclasses.asdict(config)
    if batch:
        parameters["batch_names"] = given.batch_names()
    what = f"{len(batch)} photos, " if batch else ""
    from ui import send

    return jobs.start(
        TOOL,
        "core.style:batch_job" if batch else "core.style:job",
        parameters,
        inputs=given.pictures(),
        estimated=estimated,
        title=f"{what}{config.steps} {config.optimizer} steps at {config.size} px, strength {strength:g}",
        parent=send.parent_of("style_content", "style_style"),
    )


def instant_panel(content, painting_png: bytes, strength: float) -> None:
    """The feed-forward network's picture at once, against the photo."""
    st.subheader("Instant preview")
    try:
        preview, seconds = instant_preview(png(content), painting_png, PREVIEW_SIDE, min(1.0, strength / 0.75))
    except ValueError as error:
        st.error(str(error))
        return
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


def live_panel(painting_png: bytes | None, strength: float) -> None:
    """The webcam in the chosen painting's style, by the instant network at the frame's own size
    (the painting's style vector computed once), with the strength slider applied live."""
    from ui import live

    if painting_png is None:
        st.info("Pick a painting above (the style) to paint your camera with it.")
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
        st.caption(f"Strength {strength:g} and the painting, both chosen above, apply live.")
    painting_vector = style_vector(painting_png)
    network = instant_module()
    # The camera's own style vector (for strengths below 1): taken from its first frame once.
    state = st.session_state.setdefault("style_live_state", {})
    if steady and "stabiliser" not in state:
        from core.style import temporal

        state["stabiliser"] = temporal.Stabiliser()
    elif not steady:
        state.pop("stabiliser", None)
    paced, _ = live.pace("style_live", LIVE_SIDES, side)
    # Bound now: the camera thread paints with the settings of the rerun that drew this page.
    strength_now = instant_strength(strength)

    def paint(frame: np.ndarray, vector=painting_vector, share=strength_now):
        from core import images

        small = np.asarray(images.fit_within(Image.fromarray(frame), paced.side))  # lowered while frames are slow
        if "own" not in state:
            state["own"] = network.style_vector(Image.fromarray(small))
        painted = network.stylise_frame(small, network.blend_vectors(vector, state["own"], share))
        stabiliser = state.get("stabiliser")
        return (stabiliser(small, painted) if stabiliser is not None else painted), None

    with shown:
        live.live_video("style_live", paint, height=360, paced=paced)


def video_panel(painting, painting_png: bytes | None, strength: float) -> None:
    """A clip in the chosen painting's style, frame by frame as a job, steadied along its motion."""
    import dataclasses

    from core import images
    from core.style import video as style_video
    from ui import video

    st.caption(
        "The instant network paints every frame of a clip in the painting chosen above, at its strength; "
        "each frame then keeps part of the previous one, carried along the clip's motion, wherever that "
        "motion can be trusted (Ruder et al. 2016), so the strokes do not flicker. The sound is kept."
    )
    if painting is None:
        st.info("Pick a painting above (the style) first.")
        return
    clip = video.clip_input("style_video")
    video_job = jobs.current_job(VIDEO_TOOL)
    if clip is not None:
        left, right = st.columns(2)
        side = left.select_slider(
            "Frame size (longer side, px)",
            VIDEO_SIDES,
            **restore.initial("style_video_side", 480),
            key="style_video_side",
            help="Larger is sharper and slower.",
        )
        steadiness = right.slider(
            "Steadiness",
            0.0,
            0.9,
            **restore.initial("style_video_steadiness", style_video.DEFAULT_STEADINESS),
            step=0.05,
            key="style_video_steadiness",
            help="How much of the previous frame, carried along the motion, each frame keeps. "
            "0 paints every frame on its own (it flickers); high values trail a little.",
        )
        try:
            config = style_video.StyleVideoConfig(
                clip=str(clip.path), strength=instant_strength(strength), steadiness=steadiness, side=side
            )
            plan = style_video.clip_plan(clip.path, config)
        except ValueError as error:
            st.error(str(error))
        else:
            from core.style import temporal

            vector = style_vector(painting_png)
            network = instant_module()

            def one_frame(frame: np.ndarray) -> np.ndarray:
                # As the job does: the painting's vector blended with the clip's own (its first frame).
                own = network.style_vector(Image.fromarray(frame))
                painted = network.stylise_frame(frame, network.blend_vectors(vector, own, config.strength))
                stabiliser = temporal.Stabiliser(steadiness)
                stabiliser(frame, painted)
                return stabiliser(frame, painted)  # the second call pays for the two optical flows

            started = video.start_panel(
                VIDEO_TOOL,
                "core.style.video:job",
                clip,
                plan,
                dataclasses.asdict(config),
                frame_cost=one_frame,
                inputs={"style": images.fit_within(painting, 1024)},
                title=f"{clip.name} at {side} px, steadiness {steadiness:g}",
            )
            video_job = started or video_job
    video.result_panel(VIDEO_TOOL, video_job)


def restored_widgets(values: dict) -> dict:
    """'Open an Atelier result': the strength slider (or the weights by hand) and the second
    style's share, which the page offers in its own way (ui.restore)."""
    import math

    weight, content_weight = values["style_weight"], values["content_weight"]
    strength = round((math.log10(weight) + 3) / 4 / 0.05) * 0.05 if weight > 0 else -1.0
    found = {"_covers": ["style_weight", "content_weight", "style_blend", "region_styles", "preview_every"]}
    if content_weight == 1.0 and 0.0 <= strength <= 1.0 and math.isclose(style.style_weight_for(strength), weight):
        found |= {"style_strength": round(strength, 2), "style_own_weights": False}
    else:  # weights the strength slider does not make: set by hand, at the nearest of the page's values
        from core.style.config import WEIGHT_SCALE
        from ui.restore import nearest

        found |= {
            "style_own_weights": True,
            "style_style_weight": nearest(WEIGHT_SCALE, weight),
            "style_content_weight": nearest(WEIGHT_SCALE, content_weight),
        }
    blend = values.get("style_blend") or ()
    found["style_use_second"] = len(blend) == 2  # a run of two paintings opens the second's picker
    if len(blend) == 2 and sum(blend) > 0:
        found["style_share"] = round(blend[1] / sum(blend), 2)
    return found


def restored_video_widgets(values: dict) -> dict:
    """'Open an Atelier result' for a video's settings (the Video file tab's own widgets)."""
    from ui.restore import nearest

    found = {
        "style_video_side": nearest(VIDEO_SIDES, values["side"]),
        "style_video_steadiness": min(0.9, round(values["steadiness"] / 0.05) * 0.05),
        "_covers": ["strength", "side", "steadiness", "max_seconds"],
    }
    if values["strength"] < 1.0:  # the video's strength is the slider's for the instant network
        found["style_strength"] = round(values["strength"] * 0.75 / 0.05) * 0.05
    return found


SWEEP_TOOL = "style-sweep"
# The settings worth sweeping, with values to start from (ui/sweep.py).
SWEEPABLE = {
    "style_weight": "0.01,0.03,0.1",
    "steps": "50,100,200",
    "style_scale": "0.5,1,1.5",
    "content_weight": "0.3,1,3",
    "tv_weight": "0,0.001,0.01",
    "init": "content,noise,instant",
    "pooling": "max,avg",
    "optimizer": "lbfgs,adam",
    "preserve_colour": "false,true",
    "seed": "0,1,2",
}


def sweep_panel(config: style.StyleConfig | None, content, painting, second, device_type: str) -> None:
    """Sweep (``ui/sweep.py``): the photo repainted once per cell, each a whole optimisation."""
    from ui import sweep as sweep_ui

    if config is None or content is None or painting is None:
        st.info("Pick a photo and a painting, and settings that work, to sweep them.")
        return
    if config.tiled or config.region_styles:
        st.info("A sweep repaints the whole photo at one size: turn off the tiled mode and the regional styles.")
        return
    tab = sweep_ui.SweepTab(
        "style", SWEEP_TOOL, "core.style.sweep:job", style.StyleConfig, SWEEPABLE, "style_sweep", unit="step"
    )
    pictures = style.StyleInputs(styles=[p for p in (painting, second) if p is not None], content=content).pictures()

    def seconds_per_cell(middle: style.StyleConfig) -> tuple[float, str]:
        found = jobs.quiet_estimate(
            TOOL,
            style.plan(middle, style.fit_size(content, middle.size)),
            first_guess_rate=style.FIRST_GUESS_SECONDS_PER_MEGAPIXEL_STEP.get(device_type, 25.0),
        )
        return found.seconds, f"a cell about {found.seconds:.0f} s: {found.basis()}"

    sweep_ui.panel(tab, config, pictures, seconds_per_cell, note="Each cell is a whole optimisation.")
