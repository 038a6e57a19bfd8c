"""GAN Studio's Sweep tab (``ui/sweep.py`` over ``core/gan/sweep.py``), two kinds:

- **Sampling**: one trained generator drawn with a grid of seeds, classes, truncations or picture
  counts; no training, so each cell takes a moment, and a cell's settings go to the Generate tab;
- **Training**: a short training from scratch per cell, for the training settings; honest about
  how long that takes, and that a few epochs show a direction, not where a long training ends.
"""

from __future__ import annotations

import time

import streamlit as st

from core import gan
from core.gan import config as config_module
from ui import gan as gan_ui
from ui import jobs, restore
from ui import sweep as sweep_ui
from ui.common import device_info

SWEEP_TOOL = "gan-sweep"
SAMPLE_SWEEP_TOOL = "gan-sample-sweep"
KINDS = ("Sampling a generator (instant)", "Training settings (a short training per cell)")
# The training settings worth sweeping over a few epochs, with values to start from.
SWEEPABLE = {
    "g_learning_rate": "0.0001,0.0002,0.0005",
    "d_learning_rate": "0.0001,0.0002,0.0005",
    "batch_size": "32,64,128",
    "ngf": "16,32,64",
    "label_smoothing": "0,0.1,0.2",
    "spectral_norm": "false,true",
    "r1_gamma": "0,1,10",
    "latent": "32,64,100",
    "epochs": "1,2,3",
    "seed": "0,1,2",
}
# The sampling settings, with values to start from ("label" is the class; filled in per generator).
SAMPLE_SWEEPABLE = {"truncation": "0,2,1,0.7,0.5", "seed": "0,1,2,3", "count": "4,16,64", "label": ""}


def sweep_panel(data: gan_ui.Data, config: gan.GanConfig | None) -> None:
    kind = st.radio(
        "Sweep over",
        KINDS,
        key="gan_sweep_kind",
        horizontal=True,
        help="Sampling draws from a generator you have (shipped or trained): seed, class, truncation. Training "
        "trains a new generator per cell.",
    )
    if kind == KINDS[0]:
        sampling_panel()
    else:
        training_panel(data, config)


def sampling_panel() -> None:
    """A grid over one trained generator's sampling settings, each cell a grid of its samples."""
    available = gan_ui.generators()
    if not available:
        st.info("No generator yet: train one in the Train tab.")
        return
    chosen = st.selectbox("Generator", list(available), key="gan_sample_sweep_generator")
    path = available[chosen]
    try:
        _, trained = gan_ui.generator_for(str(path), path.stat().st_mtime)
    except ValueError as error:
        st.error(str(error))
        return
    sweepable = dict(SAMPLE_SWEEPABLE)
    if trained.conditional:
        sweepable["label"] = ",".join((trained.class_names or gan.FASHION_CLASSES)[:4])
    else:
        del sweepable["label"]  # an unconditional generator has no classes to sweep
    base = gan.SamplingConfig(count=16)
    tab = sweep_ui.SweepTab(
        "gan",
        SAMPLE_SWEEP_TOOL,
        "core.gan.sweep:sample_job",
        gan.SamplingConfig,
        sweepable,
        "gan_sample_sweep",
        use_cell=_use_sampling,
    )

    def seconds_per_cell(middle: gan.SamplingConfig) -> tuple[float, str]:
        return _timed_cell(str(path), path.stat().st_mtime, middle.count), "one cell timed here"

    sweep_ui.panel(
        tab,
        base,
        {},
        seconds_per_cell,
        note="Every cell is a grid of this generator's samples (16 unless you sweep Pictures): the truncation "
        "trick trades variety for typical pictures as it falls from 2 towards 0.5 (0 = off); a seed is the same "
        "noise in every cell.",
        job_extra={"generator": str(path)},
    )


@st.cache_data(max_entries=16, show_spinner=False)
def _timed_cell(path: str, modified: float, count: int) -> float:
    """Seconds one cell of ``count`` samples takes from this generator: timed once, not on every rerun
    of the page (every tab is drawn on each one)."""
    generator, trained = gan_ui.generator_for(path, modified)
    started = time.perf_counter()
    gan.sampled_grid(generator, trained, gan.SamplingConfig(count=count))
    return time.perf_counter() - started


def _use_sampling(stamp) -> None:
    """A sampling cell's seed, class and truncation into the Generate tab (drawn above this tab: left
    pending for its widgets, which take them on the next run)."""
    values = stamp.sampling or {}
    pending = st.session_state.setdefault(restore.PENDING, {})
    pending["gan_generator"] = st.session_state.get("gan_sample_sweep_generator")
    pending["gan_sample_seed"] = int(values.get("seed", 0))
    pending["gan_truncation"] = float(values.get("truncation", 0.0))
    label = str(values.get("label", ""))
    names = list(stamp.config.get("class_names") or gan.FASHION_CLASSES)
    lowered = [name.lower() for name in names]
    if label.isdigit() and int(label) < len(names):
        pending["gan_class"] = names[int(label)]
    elif label.lower() in lowered:
        pending["gan_class"] = names[lowered.index(label.lower())]
    st.session_state[restore.FLASH] = (
        f"The cell's sampling (seed {values.get('seed', 0)}, truncation {values.get('truncation', 0):g}"
        + (f", class {label}" if label != "" else "")
        + ") is in the Generate tab.",
        [],
    )


def training_panel(data: gan_ui.Data, config: gan.GanConfig | None) -> None:
    """A short training per cell, each cell's fixed-noise grid."""
    if config is None or not data.pictures:
        st.info("Pick the data and settings in the Train tab first: the sweep trains with them.")
        return
    if config.resume:
        st.info("A sweep trains every cell from the start: clear Resume in the Train tab.")
        return
    device_type = (device_info(timeout=0) or {}).get("device", "cpu")
    tab = sweep_ui.SweepTab("gan", SWEEP_TOOL, "core.gan.sweep:job", gan.GanConfig, SWEEPABLE, "gan_sweep", unit="part")

    def seconds_per_cell(middle: gan.GanConfig) -> tuple[float, str]:
        found = jobs.quiet_estimate(
            gan_ui.TOOL,
            config_module.plan(middle, data.pictures),
            first_guess_rate=config_module.first_guess_rate(middle, device_type),
        )
        return (
            found.seconds,
            f"a training of {middle.epochs} epochs about {found.seconds / 60:.1f} min: {found.basis()}",
        )

    sweep_ui.panel(
        tab,
        config,
        {},
        seconds_per_cell,
        note="Each cell is a whole training from scratch, so keep them short (1-3 epochs, or a limit on the "
        "pictures): a sweep shows which way a setting pushes the pictures early on, not where a long training ends.",
    )
