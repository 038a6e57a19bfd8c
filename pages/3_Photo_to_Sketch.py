"""Photo to Sketch: a network that learned a slow pencil drawing draws photos, uploads and the
live camera in one fast pass; train your own (U-Net or the plain autoencoder) and watch it learn.

TensorFlow never loads in this (the server's) process: sketches come from a child process
(``core.sketch.SketchService``) and training runs as a background job.
"""

import dataclasses

import numpy as np
import streamlit as st

from core import images, sketch
from core.configs import spec
from core.sketch import config as sketch_config
from core.sketch import pencil
from ui import files, jobs, live, settings, video
from ui import sketch as sketch_ui
from ui.common import device_info, page
from ui.inputs import image_input

TOOL = "sketch"
Config = sketch.SketchConfig
VIDEO_TOOL = "sketch-video"
BUILTIN = "Built-in pairs (offline photos + the slow pencil drawing)"
ARCHITECTURE_LABELS = {"unet": "U-Net (skip connections)", "plain": "Plain autoencoder (the design)"}
STYLE_LABELS = {
    "pencil": "Pencil drawing (slow, Lu et al. 2012)",
    "dodge-and-burn": "Dodge-and-burn (quick filter)",
    "xdog": "XDoG ink lines (quick filter)",
}
UPLOAD = "Upload a zip of pairs"


def sketch_tab() -> None:
    models = sketch_ui.available_models()
    controls, result = st.columns([1, 2], gap="large")
    with controls:
        photo = image_input("Photo", "sketch_photo", default_sample="Grace Hopper", show=False, min_side=16)
        if not models:
            st.warning("No model yet: the shipped ones are missing from weights/. Train one in the Train tab.")
            return
        choice = st.selectbox(
            "Model",
            list(models),
            key="sketch_model",
            help="The shipped models (U-Nets) learned the slow pencil drawing of Lu, Xu and Jia "
            "(2012) on 53 offline photos; weights/README.md has their scores.",
        )
        model_path, size = models[choice]
        sides = [256, 512, 768, 1024, 1536, 2048]
        working_side = st.select_slider(
            "Working size (longer side, px)",
            sides,
            value=512,
            key="sketch_side",
            help=f"The photo is resized to this before sketching. The model is fully convolutional and draws "
            f"lines a few pixels wide, so a larger size gives finer lines; above {2 * size} px (twice the "
            f"model's training size) the photo is sketched in overlapping tiles to keep memory flat.",
        )
        darkness = st.slider(
            "Darkness",
            0.5,
            3.0,
            1.0,
            step=0.1,
            key="sketch_darkness",
            help="A gamma on the sketch: above 1 the greys get darker.",
        )
        line_weight = st.slider(
            "Line weight",
            -2,
            3,
            0,
            key="sketch_line_weight",
            help="Thicken (positive) or thin (negative) the dark lines by this many pixels.",
        )
    if photo is None:
        return
    array = np.asarray(images.fit_within(photo, max(sides)))  # nothing is sketched above 2048 px anyway
    with result:
        try:
            with st.spinner("Sketching… (the first sketch also starts TensorFlow, a few seconds)"):
                answer = sketch_ui.model_sketch(array, str(model_path), model_path.stat().st_mtime, working_side)
        except ValueError as error:
            st.error(str(error))
            return
        drawn = sketch.adjust(answer["sketch"], darkness, line_weight)
        height, width = drawn.shape
        how = f"in overlapping {answer['tile_side']} px tiles" if answer["tiles"] else "in one pass"
        scaled = (
            "downscaled" if max(photo.size) > working_side else "upscaled" if max(photo.size) < working_side else "kept"
        )
        slow_side = min(working_side, pencil.LARGEST_SIDE)
        show_slow = st.toggle(
            "Pencil drawing (classical, slow)",
            value=True,
            key="sketch_slow_pencil",
            help="Lu, Xu and Jia (NPAR 2012), the drawing the shipped models learned: pencil "
            "strokes laid along the edges in eight directions, tone matched to a pencil "
            "drawing's histogram, and a pencil texture fitted to that tone by a sparse linear "
            f"solve. Seconds per picture at large sizes; it works at most {pencil.LARGEST_SIDE} px.",
        )
        network_column, slow_column = st.columns(2) if show_slow else (st.container(), None)
        network_column.image(
            files.data_url(drawn),
            caption=f"{choice}: {width}x{height}, photo {scaled} from {photo.width}x"
            f"{photo.height}, sketched {how} in {answer['seconds'] * 1000:.0f} ms",
            width="stretch" if show_slow else "content",
        )
        if slow_column is not None:
            capped = (
                f" at {slow_side} px: the slow method's cap, as its time grows with the area"
                if slow_side < working_side
                else ""
            )
            with slow_column, st.spinner(f"Drawing with strokes and hatching{capped}…"):
                drawing, seconds, note = sketch_ui.slow_pencil(array, slow_side)
            ratio = seconds / max(answer["seconds"], 1e-6)
            slow_column.image(
                files.data_url(drawing),
                width="stretch",
                caption=f"Pencil drawing (Lu et al. 2012), the method the network learned: "
                f"{drawing.shape[1]}x{drawing.shape[0]} in {seconds:.2f} s"
                + (f" ({ratio:.0f}x the network's time)" if not capped and not note else "")
                + (f"; {note}" if note else "")
                + (f"; drawn{capped}" if capped else ""),
            )
        files.download_inline(
            "Download sketch (PNG)", images.to_png_bytes(drawn), "sketch.png", "image/png", key="sketch_download"
        )
        st.markdown("**Beside quick classical filters** (same working size)")
        opencv_drawing, dodge = sketch_ui.classical_sketches(array, working_side)
        columns = st.columns(3)
        columns[0].image(files.data_url(photo), caption="Photo", width="stretch")
        columns[1].image(files.data_url(opencv_drawing), caption="OpenCV pencilSketch", width="stretch")
        columns[2].image(files.data_url(dodge), caption="Dodge-and-burn", width="stretch")


def train_tab() -> None:
    job_id = jobs.current_job(TOOL)
    data_column, settings_column = st.columns([1, 1], gap="large")
    problem, data, style = "", "", "pencil"
    with settings_column:
        size = settings.widget(
            Config,
            "size",
            horizontal=True,
            key="sketch_train_size",
            help="On a 2-core CPU an epoch of 320 crops takes about 15 s at 256 px with the U-Net and "
            "four times that at 512 px. Starting from a shipped model (under More) needs far "
            "fewer epochs.",
        )
        architecture = settings.widget(
            Config,
            "architecture",
            format_func=ARCHITECTURE_LABELS.get,
            horizontal=True,
            key="sketch_architecture",
            help="U-Net: each decoder level also sees the encoder's features at its size, so "
            "strokes land on the edges; the shipped models are U-Nets. Plain: the design's "
            "autoencoder, everything through the bottleneck.",
        )
        perceptual_weight = settings.widget(
            Config,
            "perceptual",
            key="sketch_perceptual",
            help="Adds the distance between VGG19 features (relu1_2, relu2_2, the same "
            "offline weights as Style Transfer) of the drawing and the target to "
            "the pixel MAE: sharper strokes for about twice the training time.",
        )
        epochs = settings.widget(Config, "epochs", key="sketch_epochs")
        patience = settings.widget(Config, "patience", key="sketch_patience")
        batch_size = settings.widget(Config, "batch_size", key="sketch_batch")
        learning_rate = settings.widget(Config, "learning_rate", key="sketch_lr")
        with st.expander("More"):
            pair_count = settings.widget(Config, "pairs", key="sketch_pairs")
            width = settings.widget(
                Config,
                "width",
                key="sketch_width",
                help="Doubled at each level down. The design's plain autoencoder has 64; wider "
                "is slower to train and to draw.",
            )
            depth = settings.widget(Config, "depth", key="sketch_depth")
            flip = st.checkbox("Random flips", value=True, key="sketch_flip")
            rotate = settings.widget(Config, "rotate", key="sketch_rotate")
            starts = {"(random weights)": ""} | {
                name: str(path) for name, (path, _) in sketch_ui.available_models().items()
            }
            start_from = st.selectbox(
                "Start from",
                list(starts),
                key="sketch_init",
                help="Fine-tuning a shipped model needs far fewer epochs.",
            )
            seed = settings.widget(Config, "seed", key="sketch_seed", min_value=0, max_value=2**31 - 1)
    with data_column:
        source = st.radio("Pairs", [BUILTIN, UPLOAD], key="sketch_source")
        if source == BUILTIN:
            style = st.selectbox(
                spec(Config, "style").label,
                sketch.STYLES,
                format_func=STYLE_LABELS.get,
                key="sketch_style",
                help=spec(Config, "style").help,
            )
            st.caption(
                "No real photo/sketch pairs can be downloaded here, so the targets are drawn from 53 offline "
                "photos (scikit-image, scikit-learn, matplotlib, OpenCV samples, KDE's photographic "
                "wallpapers; portraits cut twice as often) by the slow pencil drawing, or a quick filter. "
                "Whole photos are held out for validation."
            )
        else:
            data, problem, preview = sketch_ui.upload_pairs(flip, float(rotate))
        try:
            config = sketch.SketchConfig(
                size=size,
                epochs=epochs,
                batch_size=batch_size,
                learning_rate=learning_rate,
                patience=patience,
                flip=flip,
                rotate=float(rotate),
                data=data,
                style=style,
                pairs=pair_count,
                init=starts[start_from],
                seed=int(seed),
                architecture=architecture,
                width=width,
                depth=depth,
                perceptual=perceptual_weight,
            )
        except ValueError as error:
            problem, config = str(error), None
        if config is not None and (source == BUILTIN or data):
            shown = sketch_ui.builtin_preview(style, flip, float(rotate)) if source == BUILTIN else preview
            st.expander("Preview: pairs with the augmentation applied").image(
                files.data_url(shown),
                width="stretch",
                caption="Each row: a pair as cut, then three augmented versions (photo, sketch).",
            )
        if problem:
            st.warning(problem)
    estimated = None
    if config is not None:
        device_type = (device_info(timeout=0) or {}).get("device", "cpu")
        estimated = jobs.estimate(
            TOOL,
            sketch_config.plan(config),
            at_most=True,
            what=f"{config.epochs} epochs",
            first_guess_rate=sketch_config.FIRST_GUESS_SECONDS_PER_PAIR_EPOCH.get(device_type, 0.047),
        )
    if st.button("Start training", type="primary", key="sketch_start", disabled=bool(problem)):
        title = (
            f"{size} px {architecture}{f' + perceptual {perceptual_weight:g}' if perceptual_weight else ''}, "
            f"{'built-in ' + style if not data else 'uploaded pairs'}, up to {epochs} epochs"
        )
        job_id = jobs.start(
            TOOL, "core.sketch.training:job", dataclasses.asdict(config), inputs={}, title=title, estimated=estimated
        )
    if job_id:
        st.divider()
        snapshot = jobs.job_view(
            job_id,
            curves=[["train_mae", "val_mae"]],
            marker="best_epoch",
            extra=lambda current: jobs.preview_scrubber(current, "photo | target | prediction after epoch {step}"),
            unit="epoch",
        )
        final = snapshot.card.get("final_metrics") or {}
        if not snapshot.active and "best_val_mae" in final:
            st.info(
                f"Kept epoch {final['best_epoch']:.0f} (the best on held-out pairs): MAE {final['best_val_mae']:.4f}, "
                f"SSIM {final['best_val_ssim']:.3f}, PSNR {final['best_val_psnr']:.2f} dB. For scale: a blank page "
                f"scores MAE {final['white_page_mae']:.4f}, the mean training sketch {final['mean_sketch_mae']:.4f}."
            )
        model = jobs.manager().folder(job_id).model
        if model.exists() and not snapshot.active:
            files.download_run_file("Download the model (.keras)", job_id, model.name, key="sketch_model_download")
            st.caption(
                "The best epoch's weights; pick it in the Sketch tab as "
                f'"Trained: {job_id}", or use it with python -m core sketch PHOTO --model {job_id}.keras.'
            )
    jobs.runs_list(TOOL, key="sketch-runs")


page(
    "Photo to Sketch",
    ":material/draw:",
    "A small U-Net (Keras) learned a slow, classical pencil drawing (strokes along the edges, hatched tone) "
    "and makes it in one fast pass. Sketch a photo with the shipped 256 or 512 px model beside the method it "
    "learned, sketch your camera live, or train your own on pairs and watch it learn.",
)


def live_tab() -> None:
    """The webcam sketched continuously by the chosen model in the sketch service's process
    (TensorFlow never enters the server), with the darkness and line sliders applied live."""
    models = sketch_ui.available_models()
    if not models:
        st.warning("No model yet: the shipped ones are missing from weights/. Train one in the Train tab.")
        return
    controls, video = st.columns([1, 2], gap="large")
    with controls:
        choice = st.selectbox("Model", list(models), key="sketch_live_model")
        side = st.select_slider(
            "Working size (longer side, px)",
            [192, 256, 320, 384, 512],
            value=256,
            key="sketch_live_side",
            help="Each frame is resized to this before sketching: "
            "smaller is faster (the bench's target is 10 frames per second at 256 px).",
        )
        darkness = st.slider("Darkness", 0.5, 3.0, 1.0, step=0.1, key="sketch_live_darkness")
        line_weight = st.slider("Line weight", 0, 3, 0, key="sketch_live_line")
    model_path = str(models[choice][0])
    service = sketch_ui.sketch_service()

    paced, _ = live.pace("sketch_live", (96, 128, 160, 192, 256, 320, 384, 512), side)

    def sketch_frame(frame: np.ndarray, path=model_path, dark=darkness, lines=line_weight):
        drawn = sketch.adjust(service.sketch(frame, path, working_side=paced.side)["sketch"], dark, lines)
        return np.repeat(drawn[:, :, None], 3, axis=2), None

    with video:
        live.live_video("sketch_live", sketch_frame, height=360, paced=paced)


def video_tab() -> None:
    """A clip drawn frame by frame by the chosen network, as a job (TensorFlow in the job's process)."""
    from core.sketch import video as sketch_video

    st.caption(
        "Every frame of a clip drawn by the network, with the darkness and line sliders, as a background "
        "job; the result plays here with the clip's sound."
    )
    models = sketch_ui.available_models()
    if not models:
        st.warning("No model yet: the shipped ones are missing from weights/. Train one in the Train tab.")
        return
    clip = video.clip_input("sketch_video")
    video_job = jobs.current_job(VIDEO_TOOL)
    if clip is not None:
        left, middle, right = st.columns(3)
        choice = left.selectbox("Model", list(models), key="sketch_video_model")
        side = left.select_slider(
            "Frame size (longer side, px)",
            [256, 320, 384, 512, 640, 720, 960, 1280],
            value=512,
            key="sketch_video_side",
        )
        darkness = middle.slider("Darkness", 0.5, 3.0, 1.0, step=0.1, key="sketch_video_darkness")
        line_weight = right.slider("Line weight", 0, 3, 0, key="sketch_video_line")
        try:
            config = sketch_video.SketchVideoConfig(
                clip=str(clip.path),
                model=str(models[choice][0]),
                working_side=side,
                darkness=darkness,
                line_weight=line_weight,
            )
            plan = sketch_video.clip_plan(clip.path, config)
        except ValueError as error:
            st.error(str(error))
        else:
            service = sketch_ui.sketch_service()

            def one_frame(frame: np.ndarray) -> np.ndarray:
                drawn = service.sketch(frame, config.model, working_side=side)["sketch"]
                return sketch.adjust(drawn, darkness, line_weight)

            video_job = (
                video.start_panel(
                    VIDEO_TOOL,
                    "core.sketch.video:job",
                    clip,
                    plan,
                    dataclasses.asdict(config),
                    frame_cost=one_frame,
                    title=f"{clip.name} at {side} px",
                )
                or video_job
            )
    video.result_panel(VIDEO_TOOL, video_job)


sketch_section, train_section, live_section, video_section = st.tabs(["Sketch", "Train", "Live camera", "Video file"])
with sketch_section:
    sketch_tab()
with train_section:
    train_tab()
with live_section:
    live_tab()
with video_section:
    video_tab()
