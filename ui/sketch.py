"""Photo to Sketch's Streamlit helpers: the sketch service (TensorFlow in its own process), the
cached drawings, the models this person can use, and the checking of uploaded pairs."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import streamlit as st

from core import sketch
from core.sketch import pencil
from ui import jobs

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
