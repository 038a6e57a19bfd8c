"""GAN Studio's Streamlit helpers: cached generators and samples, the reading of uploaded picture
sets, and the panels the page draws: training (the data, the settings from GanConfig's
declarations, Start and the live run) and the Generate tab's grid, walk and memorisation check."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import numpy as np
import streamlit as st
from PIL import Image

from core import assets, gan
from core.configs import spec
from core.gan import config as config_module
from core.jobs.status import Status
from ui import files, jobs, presets, restore, settings
from ui.common import device_info

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
def sample_grid(path: str, modified: float, count: int, seed: int, wanted=None, truncation: float = 0.0):
    """A grid of ``count`` samples; for a conditional generator either one class (``wanted``)
    or, with ``wanted`` = "rows", one row per class (``count`` a row, the same noise down a column)."""
    generator, config = generator_for(path, modified)
    if wanted == "rows":
        pictures, columns = gan.class_rows(generator, config, count, seed, truncation)
        return gan.make_grid(pictures, columns=columns)
    return gan.make_grid(gan.sample(generator, config, count, seed, wanted, truncation))


@st.cache_data(max_entries=16, show_spinner=False)
def walk(
    path: str, modified: float, seed_a: int, seed_b: int, frames: int, wanted=None, truncation: float = 0.0
) -> tuple:
    """(strip picture, GIF bytes) of a slerp walk between two seeds."""
    generator, config = generator_for(path, modified)
    pictures = gan.interpolate(generator, config, seed_a, seed_b, frames, wanted, truncation)
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


# --- the page's panels ----------------------------------------------------------------------------

Config = gan.GanConfig
SOURCES = ["Fashion-MNIST", "Abstract art (Debian wallpapers)", "Upload a zip of pictures"]


@dataclasses.dataclass
class Data:
    """What the Data column chose: the data set and the settings it implies."""

    source: str
    conditional: bool = False
    dataset: str = "fashion-mnist"
    classes: tuple = ()
    size: int = 32
    channels: int = 1
    crops: int = 1
    problem: str = ""
    picture_count: int | None = None  # an upload's readable pictures, checked against the batch size at Start
    pictures: int = 0  # how many pictures an epoch goes through (after crops), for the estimate


def data_column() -> Data:
    for key in ("gan_source", "gan_classes", "gan_size"):  # what "Open an Atelier result" applied
        restore.place(key)
    source = st.radio("Data", SOURCES, key="gan_source")
    abstract = source == SOURCES[1]
    conditional = settings.widget(
        Config,
        "conditional",
        key="gan_conditional",
        disabled=abstract,
        help="G and D are told each picture's class, so you can ask for a class later. "
        "Fashion-MNIST's ten garments, or a zip with one folder per class.",
    )
    data = Data(source, conditional=conditional and not abstract)
    if source == SOURCES[0]:
        if assets.fashion_mnist_dir() is None:
            data.problem = "Fashion-MNIST is not installed: sudo apt-get install dataset-fashion-mnist."
        data.classes = tuple(
            st.multiselect(
                "Only these classes (empty = all)",
                list(range(10)),
                key="gan_classes",
                format_func=lambda label: gan.FASHION_CLASSES[label],
            )
        )
        st.caption("32x32 grey pictures of garments; 60,000 for all classes, 6,000 per class.")
        data.pictures = 6000 * len(data.classes) if data.classes else 60000
        return data
    data.channels = 3
    data.size = st.radio(
        "Picture size (px)",
        [64, 128],
        horizontal=True,
        key="gan_size",
        help="128 px shows four times the detail and costs about twice the time per iteration "
        "(bench/results/gan-small-set.txt).",
    )
    if abstract:
        data.dataset, data.crops = "abstract-art", 60
        found = abstract_art_count()
        if not found:
            data.problem = (
                "No abstract art is installed here; whoever runs Atelier can add it with make run as root "
                "(Debian's propaganda-debian, gnome-backgrounds, plasma-workspace-wallpapers)."
            )
            return data
        data.pictures = found * data.crops
        st.caption(
            f"{found} abstract pictures from Debian's desktop artwork (propaganda-debian's painterly "
            "tiles, gnome-backgrounds, plasma-workspace-wallpapers, ukui-wallpapers, lomiri-wallpapers; "
            f"{len(assets.ABSTRACT_HELD_OUT)} more are kept out to judge generators on), {data.crops} random "
            f"crops of each, at {data.size} px in RGB: a small set, for the small-set model."
        )
        return data
    upload = st.file_uploader(
        "Zip of pictures" + (" (one folder per class)" if data.conditional else ""), type=["zip"], key="gan_zip"
    )
    if upload is None:
        data.problem = "Upload a zip of pictures to train on" + (
            ": one folder of pictures per class (shoes/, hats/, ...)." if data.conditional else "."
        )
        return data
    try:
        data.dataset, data.picture_count = describe_upload(upload, data.conditional, data.size, data.channels)
        data.pictures = data.picture_count * data.crops
    except ValueError as error:
        data.problem = str(error)
    return data


def settings_column(data: Data) -> dict:
    """The model's settings as GanConfig keyword arguments (each widget from its declaration)."""
    # FastGAN is offered for picture sets (and is their default); Fashion-MNIST keeps the
    # paper's DCGAN. A class-conditional run needs the DCGAN.
    models = ("fastgan", "dcgan") if data.source != SOURCES[0] and not data.conditional else ("dcgan",)
    architecture = settings.widget(
        Config,
        "architecture",
        key=f"gan_architecture_{len(models)}",
        options=models,
        value=models[0],
        format_func=gan.ARCHITECTURE_NAMES.get,
        horizontal=True,
        help="FastGAN: skip-layer excitation and a discriminator that must redraw its input, with adaptive "
        "augmentation; it holds up on a few dozen pictures where the DCGAN collapses onto one motif, at "
        "several times the time per iteration (bench/results/gan-small-set.txt).",
    )
    fast = architecture == "fastgan"
    small = gan.SMALL_SET_DEFAULTS if fast else {}  # each model keeps its own widget state (its keys)
    chosen = {
        "architecture": architecture,
        "epochs": settings.widget(Config, "epochs", key="gan_epochs"),
        "batch_size": settings.widget(
            Config, "batch_size", key=f"gan_batch_{architecture}", value=small.get("batch_size")
        ),
        "g_learning_rate": settings.widget(Config, "g_learning_rate", key="gan_glr"),
        "d_learning_rate": settings.widget(Config, "d_learning_rate", key="gan_dlr"),
    }
    with st.expander("Model and tricks"):
        chosen["latent"] = settings.widget(Config, "latent", key="gan_latent")
        if fast:
            chosen["ngf"] = settings.widget(
                Config,
                "ngf",
                key="gan_ngf_fast",
                value=small["ngf"],
                options=(8, 16, 24, 32),
                help="Channels at the finest level (x16 at 4x4). 16 keeps a 64 px "
                "iteration under half a second on 2 CPU cores.",
            )
            chosen["ndf"] = settings.widget(Config, "ndf", key="gan_ndf_fast", value=small["ndf"])
        else:
            chosen["ngf"] = chosen["ndf"] = settings.widget(
                Config,
                "ngf",
                key="gan_width",
                label="Width (ngf = ndf)",
                options=(16, 32, 48, 64),
                help="Smaller trains faster on a CPU; 64 is the paper's.",
            )
            chosen["label_smoothing"] = settings.widget(Config, "label_smoothing", key="gan_smoothing")
        policy = st.multiselect(
            "DiffAugment",
            ["color", "translation", "cutout"],
            default=[name for name in small.get("diffaugment", "").split(",") if name],
            key=f"gan_diffaugment_{architecture}",
            help=spec(Config, "diffaugment").help,
        )
        adaptive = st.toggle(
            "Adaptive augmentation (ADA)",
            value=fast,
            key=f"gan_ada_{architecture}",
            disabled=not policy,
            help="Apply DiffAugment with a probability that rises while D memorises the real "
            "pictures and falls when it does not (Karras et al. 2020, target 0.6).",
        )
        chosen.update(diffaugment=",".join(policy), ada_target=0.6 if adaptive and policy else 0.0)
        chosen["limit"] = settings.widget(
            Config, "limit", key="gan_limit", format_func=lambda count: "all" if count == 0 else f"{count:,}"
        )
        chosen["preview_every"] = settings.widget(Config, "preview_every", key="gan_preview_every")
        chosen["spectral_norm"] = not fast and settings.widget(Config, "spectral_norm", key="gan_spectral")
        chosen["r1_gamma"] = settings.widget(Config, "r1_gamma", key="gan_r1")
        chosen["fid_every"] = settings.widget(Config, "fid_every", key="gan_fid_every")
        chosen["seed"] = int(settings.widget(Config, "seed", key="gan_seed", min_value=0, max_value=2**31 - 1))
    resumable = resumable_runs()
    resume = st.selectbox("Resume from", ["(start fresh)", *resumable], key="gan_resume")
    chosen["resume"] = str(resumable[resume]) if resume in resumable else ""
    return chosen


def checked(data: Data, chosen: dict):
    """The run's settings after the job's own checks; None (and the reason in the page) when refused."""
    try:
        config = Config(
            dataset=data.dataset,
            classes=data.classes,
            size=data.size,
            channels=data.channels,
            crops=data.crops,
            conditional=data.conditional,
            **chosen,
        )
        if data.picture_count is not None:
            gan.check_batch(data.picture_count, config.batch_size)
    except ValueError as error:
        st.error(str(error))
        return None
    return config


def start(data: Data, config, estimated) -> str | None:
    title = f"{data.source}, {gan.ARCHITECTURE_NAMES[config.architecture]}, {config.epochs} epochs"
    return jobs.start(TOOL, "core.gan:job", dataclasses.asdict(config), inputs={}, title=title, estimated=estimated)


def train_panel() -> tuple[Data, Config | None]:
    """Data, settings (from GanConfig's declarations), the estimate, Start, and the run; the data and
    the settings, for the Sweep tab."""
    job_id = jobs.current_job(TOOL)
    left, right = st.columns([1, 1], gap="large")
    with left:
        data = data_column()
        if data.problem:
            st.warning(data.problem)
    with right:
        chosen = settings_column(data)
        config = None if data.problem else checked(data, chosen)
        estimated = None
        if config is not None and data.pictures:
            device_type = (device_info(timeout=0) or {}).get("device", "cpu")
            estimated = jobs.estimate(
                TOOL,
                config_module.plan(config, data.pictures),
                what=f"{config.epochs} epochs",
                first_guess_rate=config_module.first_guess_rate(config, device_type),
            )
        presets.remember(TOOL, config)  # what "Save as a preset" saves, and what comes back next visit
        if st.button("Start training", type="primary", key="gan_start", disabled=config is None):
            job_id = start(data, config, estimated) or job_id
    if job_id:
        st.divider()
        training_panel(job_id)
    return data, config


def generate_panel() -> None:
    """Samples of a generator (a grid, a class, a walk between two seeds) and its memorisation check."""
    available = generators()
    if not available:
        st.info("No generator yet: train one in the Train tab (a Fashion-MNIST epoch takes a few minutes on a CPU).")
        return
    for key in ("gan_generator", "gan_class", "gan_sample_seed", "gan_truncation"):  # a sweep cell's, if any
        restore.place(key)
    if st.session_state.get("gan_generator") not in available:
        st.session_state.pop("gan_generator", None)
    path = available[st.selectbox("Generator", list(available), key="gan_generator")]
    try:
        _, config = generator_for(str(path), path.stat().st_mtime)
    except ValueError as error:
        st.error(str(error))
        return
    stamp, wanted, names = path.stat().st_mtime, None, list(config.class_names) or list(gan.FASHION_CLASSES)
    if config.conditional:
        picked = st.selectbox(
            "Class",
            ["A row per class", *names],
            key="gan_class",
            help="This generator was trained by class: ask for one.",
        )
        wanted = "rows" if picked == "A row per class" else names.index(picked)
    grid_column, walk_column = st.columns(2, gap="large")
    with grid_column:
        if wanted == "rows":
            count = st.select_slider("Pictures per class", [4, 6, 8, 10], value=8, key="gan_per_class")
        else:
            count = st.select_slider("Pictures", [16, 36, 64, 100], value=64, key="gan_count")
        seed = st.number_input("Seed", 0, 2**31 - 1, **restore.initial("gan_sample_seed", 0), key="gan_sample_seed")
        truncation_spec = spec(gan.SamplingConfig, "truncation")
        truncation = st.slider(
            truncation_spec.label,
            truncation_spec.low,
            truncation_spec.high,
            step=truncation_spec.step,
            help=truncation_spec.help,
            **restore.initial("gan_truncation", truncation_spec.default),
            key="gan_truncation",
        )
        grid = sample_grid(str(path), stamp, count, int(seed), wanted, float(truncation))
        what = (
            ("one row per class: " + ", ".join(names))
            if wanted == "rows"
            else (f"{count} samples of {names[wanted]}" if wanted is not None else f"{count} samples")
        )
        truncated = f", truncation {truncation:g}" if truncation else ""
        st.image(files.data_url(grid), caption=f"{what}, seed {seed}{truncated}", width="stretch")
        files.download_inline("Download grid", png(grid), f"gan-seed{seed}.png", "image/png", key="gan_grid_download")
    with walk_column:
        seed_a = st.number_input("From seed", 0, 2**31 - 1, 1, key="gan_seed_a")
        seed_b = st.number_input("To seed", 0, 2**31 - 1, 2, key="gan_seed_b")
        frames = st.slider("Frames", 4, 32, 10, key="gan_frames")
        one_class = None if wanted in (None, "rows") else wanted
        strip, gif = walk(str(path), stamp, int(seed_a), int(seed_b), frames, one_class, float(truncation))
        walked = (
            f" ({names[wanted]})"
            if one_class is not None
            else (f" ({names[0]}: pick a class above)" if wanted == "rows" else "")
        )
        st.image(
            files.data_url(strip), caption=f"spherical interpolation between the two seeds{walked}", width="stretch"
        )
        files.download_inline("Download GIF", gif, f"walk-{seed_a}-{seed_b}.gif", "image/gif", key="gan_gif_download")
    memorisation_panel(path, config, int(seed))


def restored_widgets(values: dict) -> dict:
    """'Open an Atelier result' for a training's settings: the data (Fashion-MNIST and its
    classes, the abstract art and its size; an uploaded zip is asked for again)."""
    found = {"_covers": ["dataset", "classes", "size", "channels", "crops", "resume", "device", "fid_count"]}
    if values["ngf"] == values["ndf"]:  # the DCGAN form's one width slider sets both
        found["_covers"].append("ndf")
    if values["dataset"] == "fashion-mnist":
        found |= {"gan_source": SOURCES[0], "gan_classes": list(values["classes"])}
    else:
        found["gan_source"] = SOURCES[1] if values["dataset"] == "abstract-art" else SOURCES[2]
        if values["size"] in (64, 128):
            found["gan_size"] = values["size"]
    return found
