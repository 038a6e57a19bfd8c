"""GAN Studio: train a DCGAN (or FastGAN on small picture sets) and watch it learn; sample and
interpolate from generators."""

import dataclasses
import io
from pathlib import Path

import numpy as np
import streamlit as st
from PIL import Image

from core import assets, gan
from core.configs import spec
from ui import jobs, settings
from ui.common import page

TOOL = "gan"
Config = gan.GanConfig


@st.cache_resource(show_spinner=False)
def fashion_training_pictures():
    return gan.fashion_mnist(gan.GanConfig())


@st.cache_resource(max_entries=4, show_spinner=False)
def generator_for(path: str, modified: float):
    return gan.load_generator(path)


def generators() -> dict[str, Path]:
    """Shipped generators (weights/) and the checkpoints of finished training runs."""
    shipped = sorted(assets.WEIGHTS_DIR.glob("gan-*.pt"), key=lambda path: "fashion" not in path.stem)
    found = {f"Shipped: {path.stem}": path for path in shipped}
    job_manager = jobs.manager()  # this person's runs only
    for card in job_manager.list_runs(TOOL):
        checkpoint = job_manager.folder(card["id"]).checkpoint
        if checkpoint.exists():
            found[f"Trained: {card['id']} ({card.get('status')})"] = checkpoint
    return found


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
    tiles = [Image.fromarray(gan.make_grid(pictures[i:i + 1], columns=1)).resize((128, 128), Image.Resampling.NEAREST)
             for i in range(frames)]
    buffer = io.BytesIO()
    tiles[0].save(buffer, format="GIF", save_all=True, append_images=tiles[1:] + tiles[::-1], duration=80, loop=0)
    return gan.make_grid(pictures, columns=frames), buffer.getvalue()


@st.cache_data(max_entries=8, show_spinner=False)
def memorisation_rows(path: str, modified: float, seed: int) -> list:
    """For 6 samples: the sample and its 3 nearest training pictures, as one strip each."""
    import torch

    generator, config = generator_for(path, modified)
    training = fashion_training_pictures()
    probes = gan.sample(generator, config, 6, seed)  # a conditional one cycles through its classes
    rows = []
    for row, indices in enumerate(gan.nearest_training(probes, training, count=3)):
        neighbours = torch.from_numpy(np.array(training[indices])).float().div(127.5).sub(1).unsqueeze(1)
        neighbours = torch.nn.functional.interpolate(neighbours, size=probes.shape[-2:], mode="bilinear")
        rows.append(gan.make_grid(torch.cat([probes[row:row + 1, :1], neighbours]), columns=4))
    return rows


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


def png(array) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


page("GAN Studio", ":material/blur_on:",
     "Train a DCGAN (Radford et al. 2016) on Fashion-MNIST, or a FastGAN (Liu et al. 2021) made for small sets "
     "on abstract art or your own pictures, and watch it learn; then sample new pictures and walk between them.")
train_tab, generate_tab = st.tabs(["Train", "Generate"])

with train_tab:
    job_id = jobs.current_job(TOOL)
    data_column, settings_column = st.columns([1, 1], gap="large")
    with data_column:
        source = st.radio("Data", ["Fashion-MNIST", "Abstract art (Debian wallpapers)", "Upload a zip of pictures"],
                          key="gan_source")
        conditional = settings.widget(Config, "conditional", key="gan_conditional", disabled=source.startswith("Abstract"),
                                      help="G and D are told each picture's class, so you can ask for a class later. "
                                           "Fashion-MNIST's ten garments, or a zip with one folder per class.")
        conditional = conditional and not source.startswith("Abstract")
        dataset, classes, size, channels, problem, crops = "fashion-mnist", (), 32, 1, "", 1
        picture_count = None  # an upload's readable pictures, checked against the batch size at Start
        if source == "Fashion-MNIST":
            if assets.fashion_mnist_dir() is None:
                problem = "Fashion-MNIST is not installed: sudo apt-get install dataset-fashion-mnist."
            chosen = st.multiselect("Only these classes (empty = all)", list(range(10)), key="gan_classes",
                                    format_func=lambda c: gan.FASHION_CLASSES[c])
            classes = tuple(chosen)
            st.caption("32x32 grey pictures of garments; 60,000 for all classes, 6,000 per class.")
        elif source.startswith("Abstract"):
            found = gan.distinct_pictures(assets.abstract_art_files())
            size, channels, dataset, crops = 64, 3, "abstract-art", 60
            if found:
                st.caption(f"{len(found)} abstract pictures from Debian's desktop artwork (propaganda-debian's "
                           "painterly tiles, gnome-backgrounds, plasma-workspace-wallpapers, ukui-wallpapers, "
                           f"lomiri-wallpapers), {crops} random crops of each, 64x64 RGB. A small set: DiffAugment "
                           "(under Model and tricks) helps.")
            else:
                problem = ("No abstract art is installed here; whoever runs Atelier can add it with make run as root "
                           "(Debian's propaganda-debian, gnome-backgrounds, plasma-workspace-wallpapers).")
        else:
            size, channels = 64, 3
            upload = st.file_uploader("Zip of pictures" + (" (one folder per class)" if conditional else ""),
                                      type=["zip"], key="gan_zip")
            if upload is None:
                problem = "Upload a zip of pictures to train on" + (
                    ": one folder of pictures per class (shoes/, hats/, ...)." if conditional else ".")
            else:
                try:
                    target = jobs.manager().uploads.folder(
                        upload.getvalue(), "-classes" if conditional else "-pictures",
                        lambda data, folder: gan.extract_pictures_zip(data, folder, keep_classes=conditional))
                    dataset = str(target)
                    if conditional:
                        found_labels, names, notes = class_summary(str(target), size, channels)
                        counts, picture_count = np.bincount(found_labels), len(found_labels)
                        st.caption(f"{len(found_labels)} pictures in {len(names)} classes: "
                                   + ", ".join(f"{name} ({count})" for name, count in zip(names, counts)) + ".")
                        for note in notes:
                            st.warning(f"Note: {note}.")
                    else:
                        picture_count, notes = picture_summary(str(target), size, channels)
                        st.caption(f"{picture_count} readable pictures.")
                        for note in notes:
                            st.warning(f"Note: {note}.")
                except ValueError as error:
                    problem = str(error)
        if problem:
            st.warning(problem)
    with settings_column:
        # FastGAN is offered for picture sets (and is their default); Fashion-MNIST keeps the
        # paper's DCGAN. A class-conditional run needs the DCGAN.
        models = ("fastgan", "dcgan") if source != "Fashion-MNIST" and not conditional else ("dcgan",)
        architecture = settings.widget(
            Config, "architecture", key=f"gan_architecture_{len(models)}", options=models, value=models[0],
            format_func=gan.ARCHITECTURE_NAMES.get, horizontal=True,
            help="FastGAN: skip-layer excitation and a discriminator that must redraw its input, with adaptive "
                 "augmentation; it holds up on a few dozen pictures where the DCGAN collapses onto one motif, at "
                 "several times the time per iteration (bench/results/gan-small-set.txt).")
        fast = architecture == "fastgan"
        # Each model keeps its own widget state (its key), so switching shows that model's defaults.
        small = gan.SMALL_SET_DEFAULTS if fast else {}
        epochs = settings.widget(Config, "epochs", key="gan_epochs")
        batch_size = settings.widget(Config, "batch_size", key=f"gan_batch_{architecture}", value=small.get("batch_size"))
        g_lr = settings.widget(Config, "g_learning_rate", key="gan_glr")
        d_lr = settings.widget(Config, "d_learning_rate", key="gan_dlr")
        with st.expander("Model and tricks"):
            latent = settings.widget(Config, "latent", key="gan_latent")
            if fast:
                g_width = settings.widget(Config, "ngf", key="gan_ngf_fast", value=small["ngf"], options=(8, 16, 24, 32),
                                          help="Channels at the finest level (x16 at 4x4). 16 keeps a 64 px iteration "
                                               "under half a second on 2 CPU cores.")
                d_width = settings.widget(Config, "ndf", key="gan_ndf_fast", value=small["ndf"])
            else:
                g_width = d_width = settings.widget(Config, "ngf", key="gan_width", label="Width (ngf = ndf)",
                                                    options=(16, 32, 48, 64),
                                                    help="Smaller trains faster on a CPU; 64 is the paper's.")
            smoothing = 0.0 if fast else settings.widget(Config, "label_smoothing", key="gan_smoothing")
            policy = st.multiselect("DiffAugment", ["color", "translation", "cutout"],
                                    default=[name for name in small.get("diffaugment", "").split(",") if name],
                                    key=f"gan_diffaugment_{architecture}", help=spec(Config, "diffaugment").help)
            adaptive = st.toggle("Adaptive augmentation (ADA)", value=fast, key=f"gan_ada_{architecture}",
                                 disabled=not policy,
                                 help="Apply DiffAugment with a probability that rises while D memorises the real "
                                      "pictures and falls when it does not (Karras et al. 2020, target 0.6).")
            limit = settings.widget(Config, "limit", key="gan_limit",
                                    format_func=lambda count: "all" if count == 0 else f"{count:,}")
            preview_every = settings.widget(Config, "preview_every", key="gan_preview_every")
            spectral = not fast and settings.widget(Config, "spectral_norm", key="gan_spectral")
            r1 = settings.widget(Config, "r1_gamma", key="gan_r1")
            fid_every = settings.widget(Config, "fid_every", key="gan_fid_every")
            seed = settings.widget(Config, "seed", key="gan_seed", min_value=0, max_value=2**31 - 1)
        job_manager = jobs.manager()
        resumable = {card["id"]: job_manager.folder(card["id"]).checkpoint for card in job_manager.list_runs(TOOL)
                     if job_manager.folder(card["id"]).checkpoint.exists()}
        resume = st.selectbox("Resume from", ["(start fresh)", *resumable], key="gan_resume")
        if st.button("Start training", type="primary", key="gan_start", disabled=bool(problem)):
            try:
                config = gan.GanConfig(
                    dataset=dataset, classes=classes, size=size, channels=channels, latent=latent, ngf=g_width,
                    ndf=d_width, epochs=epochs, architecture=architecture, ada_target=0.6 if adaptive and policy else 0.0,
                    batch_size=batch_size, g_learning_rate=g_lr, d_learning_rate=d_lr, label_smoothing=smoothing,
                    diffaugment=",".join(policy), seed=int(seed), limit=int(limit),
                    resume=str(resumable[resume]) if resume in resumable else "", fid_every=int(fid_every), crops=crops,
                    conditional=conditional, preview_every=int(preview_every), spectral_norm=spectral, r1_gamma=float(r1),
                )
                if picture_count is not None:  # the job's own check, before the job
                    gan.check_batch(picture_count, batch_size)
            except ValueError as error:
                st.error(str(error))
            else:
                job_id = jobs.start(TOOL, "core.gan:job", dataclasses.asdict(config), inputs={},
                                    title=f"{source}, {gan.ARCHITECTURE_NAMES[architecture]}, {epochs} epochs")
    def training_extras(snapshot) -> None:
        """Inside the live panel (so they appear while the job runs): the grids' scrubber, then
        the downloads: the film as it stands, and at the end the MP4 and the checkpoint."""
        jobs.preview_scrubber(snapshot, "fixed-noise grid after iteration {step} (preview {index})")
        folder = jobs.manager().folder(snapshot.id)
        checkpoint, film, movie = folder.checkpoint, folder.film, folder.movie
        if snapshot.status in ("stopped", "interrupted") and checkpoint.exists():
            st.caption(f"The checkpoint holds iteration {gan.checkpoint_step(checkpoint)}, the last one finished: pick "
                       "this run under Resume from to carry on, or sample it in the Generate tab.")
        elif snapshot.status in ("stopped", "interrupted"):
            st.caption("No checkpoint: the run ended before its first iteration finished.")
        buttons = st.columns(3)
        if checkpoint.exists() and not snapshot.active:
            buttons[0].download_button("Download checkpoint", data=checkpoint.read_bytes, file_name=f"{snapshot.id}.pt",
                                       key="gan_checkpoint", on_click="ignore", width="stretch")
        if film.exists():
            buttons[1].download_button("Training film (GIF)", data=film.read_bytes, file_name=f"{snapshot.id}-training.gif",
                                       mime="image/gif", key="gan_film", on_click="ignore", width="stretch")
        if movie.exists() and not snapshot.active:
            buttons[2].download_button("Training film (MP4)", data=movie.read_bytes,
                                       file_name=f"{snapshot.id}-training.mp4", mime="video/mp4", key="gan_movie",
                                       on_click="ignore", width="stretch")

    if job_id:
        st.divider()
        snapshot = jobs.job_view(job_id, curves=[["g_loss", "d_loss"], ["d_x", "d_g_z"], ["fid"],
                                                 ["garment_distance", "garment_floor"], ["coverage_min", "coverage_max"],
                                                 ["agreement"], ["reconstruction"], ["augment_probability"]],
                                 result_name="grid.png", extra=training_extras)
        if "garment_distance" in snapshot.card.get("final_metrics", {}) or any("garment_distance" in row for row in snapshot.history):
            st.caption("Garment distance: Frechet distance in a garment classifier's features between 1,000 samples "
                       "and 1,000 test pictures (its floor: real training pictures against them); coverage: the "
                       "rarest and commonest class's share of 1,000 samples (ideal 10%); agreement: how often the "
                       "classifier names the class a conditional model was asked for.")
    jobs.runs_list(TOOL, key="gan-runs")

with generate_tab:
    available = generators()
    if not available:
        st.info("No generator yet: train one in the Train tab (a Fashion-MNIST epoch takes a few minutes on a CPU).")
    else:
        choice = st.selectbox("Generator", list(available), key="gan_generator")
        try:
            path = available[choice]
            generator, config = generator_for(str(path), path.stat().st_mtime)
        except ValueError as error:
            st.error(str(error))
        else:
            stamp = path.stat().st_mtime
            wanted = None
            if config.conditional:
                names = list(config.class_names) or list(gan.FASHION_CLASSES)
                choice_of_class = st.selectbox("Class", ["A row per class", *names], key="gan_class",
                                               help="This generator was trained by class: ask for one.")
                wanted = "rows" if choice_of_class == "A row per class" else names.index(choice_of_class)
            grid_column, walk_column = st.columns(2, gap="large")
            with grid_column:
                if wanted == "rows":
                    count = st.select_slider("Pictures per class", [4, 6, 8, 10], value=8, key="gan_per_class")
                else:
                    count = st.select_slider("Pictures", [16, 36, 64, 100], value=64, key="gan_count")
                sample_seed = st.number_input("Seed", 0, 2**31 - 1, 0, key="gan_sample_seed")
                grid = sample_grid(str(path), stamp, count, int(sample_seed), wanted)
                what = ("one row per class: " + ", ".join(names)) if wanted == "rows" else (
                    f"{count} samples of {names[wanted]}" if wanted is not None else f"{count} samples")
                st.image(grid, caption=f"{what}, seed {sample_seed}", width="stretch")
                st.download_button("Download grid", data=png(grid), file_name=f"gan-seed{sample_seed}.png",
                                   mime="image/png", key="gan_grid_download", on_click="ignore")
            with walk_column:
                seed_a = st.number_input("From seed", 0, 2**31 - 1, 1, key="gan_seed_a")
                seed_b = st.number_input("To seed", 0, 2**31 - 1, 2, key="gan_seed_b")
                frames = st.slider("Frames", 4, 32, 10, key="gan_frames")
                strip, gif = walk(str(path), stamp, int(seed_a), int(seed_b), frames,
                                  None if wanted in (None, "rows") else wanted)
                walked = f" ({names[wanted]})" if wanted not in (None, "rows") else (
                    f" ({names[0]}: pick a class above)" if wanted == "rows" else "")
                st.image(strip, caption=f"spherical interpolation between the two seeds{walked}", width="stretch")
                st.download_button("Download GIF", data=gif, file_name=f"walk-{seed_a}-{seed_b}.gif",
                                   mime="image/gif", key="gan_gif_download", on_click="ignore")
            if config.dataset == "fashion-mnist" and assets.fashion_mnist_dir() is not None:
                with st.expander("Memorisation check: does it copy its training pictures?"):
                    st.caption("Each row: a sample (left), then its three nearest Fashion-MNIST training pictures "
                               "in pixels. Near-identical rows would mean the generator memorised.")
                    for strip_row in memorisation_rows(str(path), stamp, int(sample_seed)):
                        st.image(strip_row, width=240)
