"""GAN Studio's Streamlit helpers: cached generators and samples, the reading of uploaded picture
sets, and the panels the page draws (the live extras of a training run, the Generate tab's grid,
walk and memorisation check). The page keeps the widgets and the order; these keep the caches."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import streamlit as st
from PIL import Image

from core import assets, gan
from core.jobs.status import Status
from ui import files, jobs

TOOL = "gan"


@st.cache_resource(show_spinner=False)
def fashion_training_pictures():
    return gan.fashion_mnist(gan.GanConfig())


@st.cache_resource(max_entries=4, show_spinner=False)
def generator_for(path: str, modified: float):
    return gan.load_generator(path)


@st.cache_data(ttl=600, show_spinner=False)
def abstract_art_count() -> int:
    """How many distinct abstract pictures are installed (hashing files: once, not every rerun)."""
    return len(gan.distinct_pictures(assets.abstract_art_files()))


def generators() -> dict[str, Path]:
    """Shipped generators (weights/) and the checkpoints of this person's training runs."""
    shipped = sorted(assets.WEIGHTS_DIR.glob("gan-*.pt"), key=lambda path: "fashion" not in path.stem)
    found = {f"Shipped: {path.stem}": path for path in shipped}
    job_manager = jobs.manager()  # this person's runs only
    for card in job_manager.list_runs(TOOL):
        checkpoint = job_manager.folder(card["id"]).checkpoint
        if checkpoint.exists():
            found[f"Trained: {card['id']} ({card.get('status')})"] = checkpoint
    return found


def resumable_runs() -> dict[str, Path]:
    """This person's runs that left a checkpoint: run id -> checkpoint."""
    job_manager = jobs.manager()
    folders = {card["id"]: job_manager.folder(card["id"]) for card in job_manager.list_runs(TOOL)}
    return {job_id: folder.checkpoint for job_id, folder in folders.items() if folder.checkpoint.exists()}


@st.cache_data(max_entries=16, show_spinner=False)
def sample_grid(path: str, modified: float, count: int, seed: int, wanted=None):
    """A grid of ``count`` samples; for a conditional generator either one class (``wanted``)
    or, with ``wanted`` = "rows", one row per class (``count`` a row, the same noise down a column)."""
    generator, config = generator_for(path, modified)
    if wanted == "rows":
        pictures, columns = gan.class_rows(generator, config, count, seed)
        return gan.make_grid(pictures, columns=columns)
    return gan.make_grid(gan.sample(generator, config, count, seed, wanted))


@st.cache_data(max_entries=16, show_spinner=False)
def walk(path: str, modified: float, seed_a: int, seed_b: int, frames: int, wanted=None) -> tuple:
    """(strip picture, GIF bytes) of a slerp walk between two seeds."""
    generator, config = generator_for(path, modified)
    pictures = gan.interpolate(generator, config, seed_a, seed_b, frames, wanted)
    tiles = [
        Image.fromarray(gan.make_grid(pictures[i : i + 1], columns=1)).resize((128, 128), Image.Resampling.NEAREST)
        for i in range(frames)
    ]
    buffer = io.BytesIO()
    tiles[0].save(buffer, format="GIF", save_all=True, append_images=tiles[1:] + tiles[::-1], duration=80, loop=0)
    return gan.make_grid(pictures, columns=frames), buffer.getvalue()


@st.cache_data(max_entries=8, show_spinner=False)
def memorisation_rows(path: str, modified: float, seed: int) -> list:
    """For 6 samples: the sample and its 3 nearest Fashion-MNIST training pictures, a strip each."""
    generator, config = generator_for(path, modified)
    return gan.nearest_training_rows(generator, config, fashion_training_pictures(), seed=seed)


@st.cache_data(max_entries=4, show_spinner="Reading the pictures…")
def class_summary(folder: str, size: int, channels: int) -> tuple:
    """(labels, class names, notes) of an unpacked zip of class folders; refuses bad ones."""
    _, labels, names, notes = gan.class_folders(folder, gan.GanConfig(size=size, channels=channels))
    return labels, names, notes


@st.cache_data(max_entries=4, show_spinner="Reading the pictures…")
def picture_summary(folder: str, size: int, channels: int) -> tuple[int, list[str]]:
    """(readable pictures, notes) of an unpacked zip, read by the function the job reads it with,
    so the page refuses what the job would refuse, in the same words."""
    return gan.picture_set(folder, gan.GanConfig(size=size, channels=channels, batch_size=1))


def describe_upload(upload, conditional: bool, size: int, channels: int) -> tuple[str, int]:
    """Store an uploaded zip in this person's upload store, say what it holds, and return (the
    folder the job reads, its readable pictures). Raises ValueError for a zip the job would refuse."""
    target = jobs.manager().uploads.folder(
        upload.getvalue(),
        "-classes" if conditional else "-pictures",
        lambda data, folder: gan.extract_pictures_zip(data, folder, keep_classes=conditional),
    )
    if conditional:
        labels, names, notes = class_summary(str(target), size, channels)
        st.caption(
            f"{len(labels)} pictures in {len(names)} classes: "
            + ", ".join(f"{name} ({count})" for name, count in zip(names, np.bincount(labels)))
            + "."
        )
        count = len(labels)
    else:
        count, notes = picture_summary(str(target), size, channels)
        st.caption(f"{count} readable pictures.")
    for note in notes:
        st.warning(f"Note: {note}.")
    return str(target), count


def png(array) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def training_extras(snapshot) -> None:
    """Inside the live panel (so they appear while the job runs): the grids' scrubber, then the
    downloads: the film as it stands, and at the end the MP4 and the checkpoint."""
    jobs.preview_scrubber(snapshot, "fixed-noise grid after iteration {step} (preview {index})")
    folder = jobs.manager().folder(snapshot.id)
    stopped = snapshot.status in (Status.STOPPED, Status.INTERRUPTED)
    if stopped and folder.checkpoint.exists():
        st.caption(
            f"The checkpoint holds iteration {gan.checkpoint_step(folder.checkpoint)}, the last one finished: "
            "pick this run under Resume from to carry on, or sample it in the Generate tab."
        )
    elif stopped:
        st.caption("No checkpoint: the run ended before its first iteration finished.")
    buttons = st.columns(3)
    downloads = [
        (folder.checkpoint, not snapshot.active, "Download checkpoint", "gan_checkpoint"),
        (folder.film, True, "Training film (GIF)", "gan_film"),
        (folder.movie, not snapshot.active, "Training film (MP4)", "gan_movie"),
    ]
    for column, (path, ready, label, key) in zip(buttons, downloads):
        if ready and path.exists():
            files.download_run_file(label, snapshot.id, path.name, key=key, target=column)


TRAINING_CURVES = [
    ["g_loss", "d_loss"],
    ["d_x", "d_g_z"],
    ["fid"],
    ["garment_distance", "garment_floor"],
    ["coverage_min", "coverage_max"],
    ["agreement"],
    ["reconstruction"],
    ["augment_probability"],
]


def training_panel(job_id: str) -> None:
    """A training run: progress, curves, the grid and its extras, and what the garment metrics mean."""
    snapshot = jobs.job_view(job_id, curves=TRAINING_CURVES, extra=training_extras)
    rows = [snapshot.card.get("final_metrics", {}), *snapshot.history]
    if any("garment_distance" in row for row in rows):
        st.caption(
            "Garment distance: Frechet distance in a garment classifier's features between 1,000 samples "
            "and 1,000 test pictures (its floor: real training pictures against them); coverage: the "
            "rarest and commonest class's share of 1,000 samples (ideal 10%); agreement: how often the "
            "classifier names the class a conditional model was asked for."
        )


def memorisation_panel(path: Path, config, seed: int) -> None:
    if config.dataset == "fashion-mnist" and assets.fashion_mnist_dir() is not None:
        with st.expander("Memorisation check: does it copy its training pictures?"):
            st.caption(
                "Each row: a sample (left), then its three nearest Fashion-MNIST training pictures in pixels. "
                "Near-identical rows would mean the generator memorised."
            )
            for strip_row in memorisation_rows(str(path), path.stat().st_mtime, seed):
                st.image(files.data_url(strip_row), width=240)
