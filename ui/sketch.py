"""Photo to Sketch's Streamlit helpers: the sketch service (TensorFlow in its own process), the
cached drawings, the models this person can use, the checking of uploaded pairs, and the page's
panels (the sketch, training, the live camera, the video file)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import streamlit as st

from core import sketch
from core.sketch import pencil
from ui import jobs, presets, restore

TOOL = "sketch"


@st.cache_resource(show_spinner=False)
def sketch_service() -> sketch.SketchService:
    return sketch.SketchService()


@st.cache_data(max_entries=24, show_spinner=False)
def model_sketch(photo: np.ndarray, model_path: str, modified: float, working_side: int) -> dict:
    """The model's raw sketch (sliders apply after it, so moving them costs no inference)."""
    return sketch_service().sketch(photo, model_path, working_side=working_side)


@st.cache_data(max_entries=24, show_spinner=False)
def classical_sketches(photo: np.ndarray, working_side: int) -> tuple[np.ndarray, np.ndarray]:
    resized = sketch.resize_to_side(photo, working_side)
    return sketch.opencv_pencil(resized), sketch.dodge_and_burn(resized)


@st.cache_data(max_entries=12, show_spinner=False)
def slow_pencil(photo: np.ndarray, working_side: int) -> tuple[np.ndarray, float, str]:
    """Lu, Xu and Jia's pencil drawing (core/sketch/pencil.py): the method the shipped models
    learned. Up to seconds per picture, so it is cached."""
    drawing, times, note = pencil.draw(sketch.resize_to_side(photo, working_side))
    return drawing, times.total, note


@st.cache_data(max_entries=4, show_spinner=False)
def builtin_preview(style: str, flip: bool, rotate: float) -> np.ndarray:
    """Augmented examples of the built-in pairs, before training."""
    config = sketch.SketchConfig(style=style, flip=flip, rotate=rotate, pairs=16)
    return sketch.augmentation_preview(sketch.builtin_pairs(config), config)


@st.cache_data(max_entries=4, show_spinner=False)
def uploaded_pairs(data: bytes, config: sketch.SketchConfig):
    """(report, augmentation preview or None) for an uploaded zip."""
    report, found = sketch.check_pairs_zip(data)
    if report.problems:
        return report, None
    preview_pairs, _ = sketch.zip_pairs(data, dataclasses.replace(config, pairs=max(16, len(found)), size=256))
    return report, sketch.augmentation_preview(preview_pairs, config)


def available_models() -> dict[str, tuple[Path, int]]:
    """Shipped models and the best weights of training runs (finished or stopped): label ->
    (the model file, the picture size it learned at)."""
    found = {
        f"Shipped {size} px": (sketch.shipped_model_path(size), size)
        for size in sketch.SIZES
        if sketch.shipped_model_path(size).exists()
    }
    job_manager = jobs.manager()  # this person's runs only
    for card in job_manager.list_runs(TOOL):
        path = job_manager.folder(card["id"]).model
        if path.exists():
            mae = (card.get("final_metrics") or {}).get("best_val_mae")
            found[
                f"Trained: {card['id']} ({card.get('status', '?')}"
                + (f", val MAE {mae:.3f})" if mae is not None else ")")
            ] = (path, int(card.get("parameters", {}).get("size", 256)))
    return found


def upload_pairs(flip: bool, rotate: float) -> tuple[str, str, object]:
    """The uploaded zip of pairs, checked: (the stored zip the job reads, or ""; what is wrong, or "";
    a preview of augmented pairs)."""
    upload = st.file_uploader(
        "Zip with photos/ and sketches/ (or A/ and B/), same file names", type=["zip"], key="sketch_zip"
    )
    if upload is None:
        return "", "Upload a zip of pairs to train on.", None
    content = upload.getvalue()
    try:
        report, preview = uploaded_pairs(content, sketch.SketchConfig(flip=flip, rotate=rotate))
    except ValueError as error:
        return "", str(error), None
    (st.success if report.usable else st.error)("\n\n".join(report.lines()))
    if not report.usable:
        return "", "Fix the zip and upload it again.", preview
    return str(jobs.manager().uploads.file(content, ".zip")), "", preview


# --- the page's panels ----------------------------------------------------------------------------

VIDEO_TOOL = "sketch-video"
BUILTIN = "Built-in pairs (offline photos + the slow pencil drawing)"
UPLOAD = "Upload a zip of pairs"
ARCHITECTURE_LABELS = {"unet": "U-Net (skip connections)", "plain": "Plain autoencoder (the design)"}
STYLE_LABELS = {
    "pencil": "Pencil drawing (slow, Lu et al. 2012)",
    "dodge-and-burn": "Dodge-and-burn (quick filter)",
    "xdog": "XDoG ink lines (quick filter)",
}
SIDES = (256, 512, 768, 1024, 1536, 2048)
NO_MODEL = "No model yet: the shipped ones are missing from weights/. Train one in the Train tab."
TRAIN_FORM = ("size", "architecture", "perceptual", "epochs", "patience", "batch_size", "learning_rate")
TRAIN_MORE = ("pairs", "width", "depth", "flip", "rotate", "init", "seed")


def drawing_controls(models: dict) -> dict | None:
    """The model and how it draws (size, darkness, line weight); None when there is no model."""
    if not models:
        st.warning(NO_MODEL)
        return None
    choice = st.selectbox(
        "Model",
        list(models),
        key="sketch_model",
        help="The shipped models (U-Nets) learned the slow pencil drawing of Lu, Xu and Jia "
        "(2012) on 53 offline photos; weights/README.md has their scores.",
    )
    model_path, size = models[choice]
    working_side = st.select_slider(
        "Working size (longer side, px)",
        SIDES,
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
    return {
        "choice": choice,
        "path": model_path,
        "side": working_side,
        "darkness": darkness,
        "line_weight": line_weight,
    }


def sketch_panel(photo, drawing: dict) -> None:
    """The network's sketch of the photo beside the slow method it learned, then quick filters."""
    from core import images
    from ui import files

    array = np.asarray(images.fit_within(photo, max(SIDES)))  # nothing is sketched above 2048 px anyway
    working_side, model_path = drawing["side"], drawing["path"]
    try:
        with st.spinner("Sketching… (the first sketch also starts TensorFlow, a few seconds)"):
            answer = model_sketch(array, str(model_path), model_path.stat().st_mtime, working_side)
    except ValueError as error:
        st.error(str(error))
        return
    drawn = sketch.adjust(answer["sketch"], drawing["darkness"], drawing["line_weight"])
    height, width = drawn.shape
    how = f"in overlapping {answer['tile_side']} px tiles" if answer["tiles"] else "in one pass"
    longest = max(photo.size)
    scaled = "downscaled" if longest > working_side else "upscaled" if longest < working_side else "kept"
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
        caption=f"{drawing['choice']}: {width}x{height}, photo {scaled} from {photo.width}x"
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
            slow, seconds, note = slow_pencil(array, slow_side)
        ratio = seconds / max(answer["seconds"], 1e-6)
        slow_column.image(
            files.data_url(slow),
            width="stretch",
            caption=f"Pencil drawing (Lu et al. 2012), the method the network learned: "
            f"{slow.shape[1]}x{slow.shape[0]} in {seconds:.2f} s"
            + (f" ({ratio:.0f}x the network's time)" if not capped and not note else "")
            + (f"; {note}" if note else "")
            + (f"; drawn{capped}" if capped else ""),
        )
    files.download_inline(
        "Download sketch (PNG)", images.to_png_bytes(drawn), "sketch.png", "image/png", key="sketch_download"
    )
    from PIL import Image

    from ui import send

    send.send_menu(
        Image.fromarray(drawn).convert("RGB"),
        words="your Photo to Sketch drawing",
        parent=send.parent_of("sketch_photo"),
        key="sketch_result",
        leave_out=("sketch",),
    )
    st.markdown("**Beside quick classical filters** (same working size)")
    opencv_drawing, dodge = classical_sketches(array, working_side)
    columns = st.columns(3)
    columns[0].image(files.data_url(photo), caption="Photo", width="stretch")
    columns[1].image(files.data_url(opencv_drawing), caption="OpenCV pencilSketch", width="stretch")
    columns[2].image(files.data_url(dodge), caption="Dodge-and-burn", width="stretch")


def start_menu(labels: list[str]) -> str:
    """Where training starts: random weights or a model (a value "Open an Atelier result" left goes in first)."""
    restore.place("sketch_init")
    return st.selectbox(
        "Start from", labels, key="sketch_init", help="Fine-tuning a shipped model needs far fewer epochs."
    )


def train_widgets() -> dict:
    """How the training form offers the settings that need more than their declaration."""
    starts = {"(random weights)": ""} | {name: str(path) for name, (path, _) in available_models().items()}
    return {
        "size": {
            "key": "sketch_train_size",
            "horizontal": True,
            "help": "On a 2-core CPU an epoch of 320 crops takes about 15 s at 256 px with the U-Net and four "
            "times that at 512 px. Starting from a shipped model (under More) needs far fewer epochs.",
        },
        "architecture": {
            "format_func": ARCHITECTURE_LABELS.get,
            "horizontal": True,
            "help": "U-Net: each decoder level also sees the encoder's features at its size, so strokes land "
            "on the edges; the shipped models are U-Nets. Plain: the design's autoencoder, everything "
            "through the bottleneck.",
        },
        "perceptual": {
            "help": "Adds the distance between VGG19 features (relu1_2, relu2_2, the same offline weights as "
            "Style Transfer) of the drawing and the target to the pixel MAE: sharper strokes for about "
            "twice the training time."
        },
        "batch_size": {"key": "sketch_batch"},
        "learning_rate": {"key": "sketch_lr"},
        "width": {"help": "Doubled at each level down. The design's plain autoencoder has 64; wider is slower."},
        "flip": lambda: st.checkbox("Random flips", **restore.initial("sketch_flip", True), key="sketch_flip"),
        "rotate": {"key": "sketch_rotate"},
        "init": lambda: starts[start_menu(list(starts))],
        "seed": {"min_value": 0, "max_value": 2**31 - 1},
    }


def pairs_input(flip: bool, rotate: float) -> tuple[dict, str, object]:
    """Where the pairs come from: (the config's data and style, what is wrong or "", a preview)."""
    from core.configs import spec

    for key in ("sketch_source", "sketch_style"):  # what "Open an Atelier result" applied
        restore.place(key)
    source = st.radio("Pairs", [BUILTIN, UPLOAD], key="sketch_source")
    if source == UPLOAD:
        data, problem, preview = upload_pairs(flip, rotate)
        return {"data": data, "style": "pencil"}, problem, preview if data else None
    style = st.selectbox(
        spec(sketch.SketchConfig, "style").label,
        sketch.STYLES,
        format_func=STYLE_LABELS.get,
        key="sketch_style",
        help=spec(sketch.SketchConfig, "style").help,
    )
    st.caption(
        "No real photo/sketch pairs can be downloaded here, so the targets are drawn from 53 offline "
        "photos (scikit-image, scikit-learn, matplotlib, OpenCV samples, KDE's photographic "
        "wallpapers; portraits cut twice as often) by the slow pencil drawing, or a quick filter. "
        "Whole photos are held out for validation."
    )
    return {"data": "", "style": style}, "", builtin_preview(style, flip, rotate)


def train_panel():
    """Train a model on pairs: the form (from SketchConfig), the estimate, Start, and the run; the
    settings (None while they do not hold), for the Sweep tab."""
    from core.sketch import config as sketch_config
    from ui import files, settings
    from ui.common import device_info

    job_id = jobs.current_job(TOOL)
    data_column, settings_column = st.columns([1, 1], gap="large")
    with settings_column:
        widgets = train_widgets()  # lists this person's models (the runs folder) once a rerun
        values = settings.values(sketch.SketchConfig, TRAIN_FORM, prefix="sketch", widgets=widgets)
        with st.expander("More"):
            values |= settings.values(sketch.SketchConfig, TRAIN_MORE, prefix="sketch", widgets=widgets)
    with data_column:
        pairs, problem, preview = pairs_input(values["flip"], float(values["rotate"]))
        config = None
        try:
            config = settings.build(
                sketch.SketchConfig, values | pairs, rotate=float(values["rotate"]), seed=int(values["seed"])
            )
        except ValueError as error:
            problem = str(error)
        presets.remember("sketch-train", config)  # what "Save as a preset" saves, and comes back next visit
        if config is not None and preview is not None:
            st.expander("Preview: pairs with the augmentation applied").image(
                files.data_url(preview),
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
    if st.button("Start training", type="primary", key="sketch_start", disabled=bool(problem) or config is None):
        perceptual = f" + perceptual {config.perceptual:g}" if config.perceptual else ""
        pairs_words = "built-in " + config.style if not config.data else "uploaded pairs"
        title = f"{config.size} px {config.architecture}{perceptual}, {pairs_words}, up to {config.epochs} epochs"
        job_id = jobs.start(
            TOOL, "core.sketch.training:job", dataclasses.asdict(config), inputs={}, title=title, estimated=estimated
        )
    if job_id:
        st.divider()
        training_view(job_id)
    return config


def training_view(job_id: str) -> None:
    """The run: curves, the previews by epoch, what was kept, and the model to download."""
    from ui import files

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
            "The best epoch's weights; pick it in the Model menu above as "
            f'"Trained: {job_id}", or use it with python -m core sketch PHOTO --model {job_id}.keras.'
        )


def live_panel(models: dict) -> None:
    """The webcam sketched continuously by the chosen model in the sketch service's process
    (TensorFlow never enters the server), with the darkness and line sliders applied live."""
    from ui import live

    if not models:
        st.warning(NO_MODEL)
        return
    controls, shown = st.columns([1, 2], gap="large")
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
    service = sketch_service()
    paced, _ = live.pace("sketch_live", (96, 128, 160, 192, 256, 320, 384, 512), side)

    def sketch_frame(frame: np.ndarray, path=model_path, dark=darkness, lines=line_weight):
        drawn = sketch.adjust(service.sketch(frame, path, working_side=paced.side)["sketch"], dark, lines)
        return np.repeat(drawn[:, :, None], 3, axis=2), None

    with shown:
        live.live_video("sketch_live", sketch_frame, height=360, paced=paced)


VIDEO_SIDES = [256, 320, 384, 512, 640, 720, 960, 1280]  # a video's frame sizes (longer side, px)


def video_panel(models: dict) -> None:
    """A clip drawn frame by frame by the chosen network, as a job (TensorFlow in the job's process)."""
    from core.sketch import video as sketch_video
    from ui import video

    st.caption(
        "Every frame of a clip drawn by the network, with the darkness and line sliders, as a background "
        "job; the result plays here with the clip's sound."
    )
    if not models:
        st.warning(NO_MODEL)
        return
    clip = video.clip_input("sketch_video")
    video_job = jobs.current_job(VIDEO_TOOL)
    if clip is not None:
        left, middle, right = st.columns(3)
        choice = left.selectbox("Model", list(models), key="sketch_video_model")
        side = left.select_slider(
            "Frame size (longer side, px)",
            VIDEO_SIDES,
            **restore.initial("sketch_video_side", 512),
            key="sketch_video_side",
        )
        darkness = middle.slider(
            "Darkness", 0.5, 3.0, **restore.initial("sketch_video_darkness", 1.0), step=0.1, key="sketch_video_darkness"
        )
        line_weight = right.slider(
            "Line weight", 0, 3, **restore.initial("sketch_video_line", 0), key="sketch_video_line"
        )
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
            service = sketch_service()

            def one_frame(frame: np.ndarray) -> np.ndarray:
                drawn = service.sketch(frame, config.model, working_side=side)["sketch"]
                return sketch.adjust(drawn, darkness, line_weight)

            started = video.start_panel(
                VIDEO_TOOL,
                "core.sketch.video:job",
                clip,
                plan,
                dataclasses.asdict(config),
                frame_cost=one_frame,
                title=f"{clip.name} at {side} px",
            )
            video_job = started or video_job
    video.result_panel(VIDEO_TOOL, video_job)


def restored_train_widgets(values: dict) -> dict:
    """'Open an Atelier result' for a training's settings: the built-in pairs' style and where it
    started from; an uploaded zip of pairs is not kept in the file, so it is asked for again."""
    found = {"_covers": ["data", "style", "init", "flip"], "sketch_flip": values["flip"]}
    if not values["data"]:
        found |= {"sketch_source": BUILTIN, "sketch_style": values["style"]}
    else:
        found["sketch_source"] = UPLOAD
    if not values["init"]:
        found["sketch_init"] = "(random weights)"
    return found


def restored_video_widgets(values: dict) -> dict:
    """'Open an Atelier result' for a video's settings (the Video file tab's own widgets)."""
    from ui.restore import nearest

    return {
        "sketch_video_side": nearest(VIDEO_SIDES, values["working_side"]),
        "sketch_video_darkness": values["darkness"],
        "sketch_video_line": values["line_weight"],
        "_covers": ["model", "working_side", "darkness", "line_weight", "max_seconds"],
    }


SWEEP_TOOL = "sketch-sweep"
# The training settings worth sweeping over a few epochs, with values to start from (ui/sweep.py).
SWEEPABLE = {
    "architecture": "unet,plain",
    "width": "8,16,32",
    "depth": "2,3,4",
    "learning_rate": "0.0003,0.001,0.003",
    "perceptual": "0,0.5,1",
    "batch_size": "8,16,32",
    "pairs": "64,160,320",
    "style": "pencil,dodge-and-burn,xdog",
    "epochs": "5,10,20",
    "seed": "0,1,2",
}


def sweep_panel(config) -> None:
    """Sweep (``ui/sweep.py``): a short training per cell, each cell's photo | target | prediction."""
    from core.sketch import config as sketch_config
    from ui import sweep as sweep_ui
    from ui.common import device_info

    if config is None:
        st.info("Pick the pairs and settings in the Train tab first: the sweep trains with them.")
        return
    device_type = (device_info(timeout=0) or {}).get("device", "cpu")
    tab = sweep_ui.SweepTab(
        "sketch-train", SWEEP_TOOL, "core.sketch.sweep:job", sketch.SketchConfig, SWEEPABLE, "sketch_sweep", unit="part"
    )

    def seconds_per_cell(middle) -> tuple[float, str]:
        found = jobs.quiet_estimate(
            TOOL,
            sketch_config.plan(middle),
            first_guess_rate=sketch_config.FIRST_GUESS_SECONDS_PER_PAIR_EPOCH.get(device_type, 0.047),
        )
        return found.seconds, f"a training of {middle.epochs} epochs at most about {found.seconds / 60:.1f} min"

    sweep_ui.panel(
        tab,
        config,
        {},
        seconds_per_cell,
        note="Each cell is a whole training from scratch (the pairs are drawn once when no swept setting changes "
        "them), so keep them short: a sweep shows which way a setting pushes the drawing early on.",
    )


BATCH_TOOL = "sketch-batch"


def batch_panel(drawing: dict | None) -> None:
    """Batch (``ui/batch.py``, job ``core/sketch/batch.py``): many photos drawn with the model and
    sliders above, the model loaded once."""
    from ui import batch as batch_ui

    tab = batch_ui.BatchTab(
        BATCH_TOOL, "core.sketch.batch:job", "sketch_batch", "a sketch per photo (PNG)", 0.6, start_seconds=15.0
    )

    def job_config(names: list[str], skipped: list[dict]) -> dict:
        return {
            "model": str(drawing["path"]),
            "working_side": drawing["side"],
            "darkness": drawing["darkness"],
            "line_weight": drawing["line_weight"],
            "names": names,
            "skipped": skipped,
        }

    title = f"{drawing['choice']} at {drawing['side']} px" if drawing else ""
    batch_ui.panel(tab, job_config if drawing is not None else None, title)
