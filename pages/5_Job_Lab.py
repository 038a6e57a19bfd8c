"""Job Lab: a small network learns to repaint a picture, as a background job.

It is the quickest way to see the machinery every tool uses: a job in its own process, live
progress, preview and curves, Stop, reattaching with ?job=, run cards and downloads. It runs
in torch or in TensorFlow, so it also checks that both work in this app.
"""

import dataclasses

import streamlit as st

from core import demo
from ui import jobs
from ui.common import page
from ui.inputs import image_input

TOOL = "demo"

page(
    "Job Lab",
    ":material/science:",
    "A small network learns to repaint your picture, pixel by pixel, in a background job. "
    "Its input is only each pixel's position; watch it find the colours.",
)

job_id = jobs.current_job(TOOL)
defaults = demo.DemoConfig()
left, right = st.columns([1, 1])
with left:
    picture = image_input("Picture", key="lab", default_sample="Astronaut")
with right:
    backend = st.radio(
        "Framework",
        ["torch", "tensorflow"],
        horizontal=True,
        key="lab_backend",
        format_func={"torch": "PyTorch", "tensorflow": "TensorFlow"}.get,
    )
    steps = st.slider("Steps", 20, 2000, defaults.steps, step=10, key="lab_steps")
    size = st.slider(
        "Working size (px, longer side)",
        16,
        128,
        defaults.size,
        step=8,
        key="lab_size",
        help="The picture is downscaled to this size; larger is slower and sharper.",
    )
    learning_rate = st.select_slider(
        "Learning rate", [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1], value=defaults.learning_rate, key="lab_lr"
    )
    frequencies = st.slider(
        "Fourier features",
        4,
        128,
        defaults.frequencies,
        key="lab_frequencies",
        help="More features paint finer detail (and more noise).",
    )
    with st.expander("Advanced"):
        seed = st.number_input("Seed", 0, 2**31 - 1, defaults.seed, key="lab_seed")
        step_delay = st.slider(
            "Slow motion (seconds per step)",
            0.0,
            0.5,
            0.0,
            step=0.01,
            key="lab_delay",
            help="Adds a pause after each step, to watch the job closely.",
        )
    config = demo.DemoConfig(
        backend=backend,
        steps=steps,
        size=size,
        learning_rate=learning_rate,
        frequencies=frequencies,
        seed=int(seed),
        step_delay=step_delay,
    )
    estimated = jobs.estimate(
        TOOL, demo.plan(config), first_guess_rate=demo.FIRST_GUESS_SECONDS_PER_STEP, what=f"{steps} steps"
    )
    if st.button("Start", type="primary", key="lab_start", disabled=picture is None):
        target = picture.copy()
        target.thumbnail((512, 512))  # the job downscales further; no need to store a huge input
        job_id = jobs.start(
            TOOL,
            "core.demo:job",
            dataclasses.asdict(config),
            inputs={"image": target},
            estimated=estimated,
            title=f"Repaint in {'PyTorch' if backend == 'torch' else 'TensorFlow'} · {steps} steps · "
            f"{size} px · learning rate {learning_rate:g} · {frequencies} Fourier features",
        )

if job_id:
    st.divider()
    st.subheader("Job")
    jobs.job_view(job_id, curves=[["loss"], ["psnr"]])
jobs.runs_list(TOOL, key="lab-runs")
