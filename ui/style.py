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
from core.style import pictures
from ui import files, jobs
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
            results = jobs.manager().folder(snapshot.id).finished_results()
            if results:
                st.caption(
                    f"{len(results)} photo{'s' if len(results) > 1 else ''} finished: "
                    + ", ".join(path.name for path in results)
                )
