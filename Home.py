"""Atelier's home page: the four tools, the device jobs will use, and what is installed.

Kept light on purpose: no torch, no TensorFlow in the server process (the device is probed
once, in a child process, while this page paints).
"""

from pathlib import Path

import streamlit as st

from core import assets
from ui import identity
from ui import jobs as jobs_ui
from ui.common import device_info, device_probe, page

HERE = Path(__file__).resolve().parent
TOOLS = [
    (
        "ascii",
        "pages/1_ASCII_Art.py",
        "ASCII Art",
        ":material/text_fields:",
        "Turns a picture into text that keeps its edges and shapes, not just its brightness: every "
        "character cell is matched to the glyph whose strokes fit it best, in a real monospace font.",
    ),
    (
        "style",
        "pages/2_Style_Transfer.py",
        "Style Transfer",
        ":material/palette:",
        "Repaints a photo in the style of a painting (Gatys et al.), by optimising the image through "
        "an ImageNet VGG19 that ships with the app and works offline; instantly for previews, your "
        "camera and video clips.",
    ),
    (
        "sketch",
        "pages/3_Photo_to_Sketch.py",
        "Photo to Sketch",
        ":material/draw:",
        "A small Keras U-Net that learned a slow classical pencil drawing makes it in one pass: sketch "
        "photos, your camera or a video with the shipped 256 and 512 px models, or train your own.",
    ),
    (
        "gan",
        "pages/4_GAN_Studio.py",
        "GAN Studio",
        ":material/blur_on:",
        "Train a DCGAN on Fashion-MNIST or a folder of abstract art and watch it learn, epoch by "
        "epoch; then sample and interpolate.",
    ),
]
THUMBNAIL_NOTES = {
    "ascii": "Shown: the astronaut sample in 64 columns of matched glyphs, in colour.",
    "style": "Shown: Chelsea the cat after Starry Night, 150 L-BFGS steps.",
    "sketch": "Shown: the astronaut sketched by the shipped 256 px model.",
    "gan": "Shown: garments drawn by the shipped Fashion-MNIST generator.",
}

page(
    "Atelier", ":material/photo_library:", "An interactive lab for classic neural and non-neural image art.", home=True
)

columns = st.columns(len(TOOLS))
for column, (key, path, title, icon, text) in zip(columns, TOOLS):
    with column.container(border=True):
        st.subheader(f"{icon} {title}")
        st.image(str(HERE / "ui" / "thumbnails" / f"{key}.png"), width="stretch")
        st.caption(THUMBNAIL_NOTES[key])
        st.write(text)
        st.page_link(path, label=f"Open {title}", icon=":material/arrow_forward:")

st.page_link(
    "pages/6_History.py",
    label="History: everything you made, in every tool: find it, star it, use its settings again, compare two",
    icon=":material/history:",
)
st.page_link(
    "pages/5_Job_Lab.py",
    label="Job Lab: watch a small network repaint your picture "
    "(a quick check that background jobs, torch and TensorFlow work here)",
    icon=":material/science:",
)

st.divider()
left, right = st.columns([1, 2])
with left:
    st.subheader("Device")
    probe_was_done = device_probe().done()

    @st.fragment(run_every=None if probe_was_done else 1.0)
    def device_box() -> None:
        info = device_info(timeout=0)
        if info is None:
            st.info("Checking which device jobs will use…")
            return
        kind = {"cuda": "NVIDIA GPU (CUDA)", "mps": "Apple GPU (MPS)"}.get(info["device"], "CPU")
        st.metric("Jobs run on", kind)
        st.caption(
            f"{info.get('name', '')} · torch {info.get('torch', '?')} · sketches on Keras-"
            f"{info.get('keras_backend', 'tensorflow')}"
        )
        for warning in info.get("warnings", []):
            st.caption(f":orange[:material/warning:] {warning}")
        if info.get("error"):
            st.warning(
                "The device check failed, so jobs assume the CPU. See the server log (atelier.log in the runs folder)."
            )
        jobs_box()
        if not probe_was_done:
            st.rerun()  # stop polling

    def jobs_box() -> None:
        """Where background jobs go: this machine, or a Ray cluster with its CPUs and GPUs; who
        sees whose runs, the queue's rules and what the retention policy keeps."""
        job_manager = jobs_ui.server_manager(stop=False)
        if job_manager is None:
            return
        where = job_manager.describe()
        sharing_box(job_manager)
        at_once = f"{where['max_concurrent']} at a time"
        if where["backend"] == "local":
            st.caption(
                f"Background jobs run as processes on {where['where']}, {at_once} (`ATELIER_JOBS_BACKEND=local`)."
            )
        elif where["error"]:
            st.warning(
                f"Background jobs go to {where['where']}, which does not answer: {where['error']}",
                icon=":material/cloud_off:",
            )
        else:
            gpus = int(where["gpus"] or 0)
            st.markdown(
                f"**Background jobs go to {where['where']}** (Ray): {where['nodes']} "
                f"node{'s' if where['nodes'] != 1 else ''}, {where['cpus']:g} CPUs, {gpus} "
                f"GPU{'s' if gpus != 1 else ''}; {at_once}."
            )

    def sharing_box(job_manager) -> None:
        whose = {
            "signin": "Each signed-in person sees only their own runs, uploads and models.",
            "browser": "Each browser sees only its own runs, uploads and models (kept in a private cookie).",
            "shared": "Shared runs: everyone using this server sees every run (ATELIER_SHARED_RUNS=1).",
        }
        st.caption(
            f"{whose[identity.mode()]} Up to {job_manager.max_queued_per_owner} jobs of yours can wait at "
            "once; when a slot frees, turns go round between people. "
            f"{job_manager.retention.words() if job_manager.retention else ''}"
        )

    device_box()

with right:
    st.subheader("What is installed")
    found = assets.find_assets()
    by_tool: dict[str, list] = {}
    for asset in found:
        by_tool.setdefault(asset.used_by, []).append(asset)
    for tool, items in by_tool.items():
        missing = [asset.name for asset in items if not asset.found and asset.required]
        ready = [asset.name for asset in items if asset.found]
        if missing:
            st.markdown(
                f":orange[:material/warning:] **{tool}**: missing {', '.join(missing)}; the page says what "
                "still works. Whoever runs Atelier can install it (details below)."
            )
        else:
            st.markdown(f":green[:material/check_circle:] **{tool}**: ready ({', '.join(ready)}).")
    with st.expander("Technical details: where each file is, and how to get a missing one"):
        for asset in found:
            if asset.found:
                st.markdown(f":green[:material/check_circle:] **{asset.name}** ({asset.used_by}): `{asset.path}`")
            else:
                mark = ":orange[:material/warning:]" if asset.required else ":gray[:material/remove_circle_outline:]"
                extra = "" if asset.required else " (optional)"
                st.markdown(f"{mark} **{asset.name}** ({asset.used_by}){extra}: not found. {asset.how_to_get}")
