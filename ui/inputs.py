"""One image picker for every page: upload, camera or a bundled sample."""

from __future__ import annotations

import streamlit as st
from PIL import Image

from core import images
from ui import files


@st.cache_data(max_entries=16, show_spinner=False)
def _decode(data: bytes, max_pixels: int, min_side: int) -> Image.Image:
    return images.load_image(data, max_pixels=max_pixels, min_side=min_side)


@st.cache_data(max_entries=16, show_spinner=False)
def _sample(name: str) -> Image.Image:
    return images.load_sample(name)


def image_input(
    label: str,
    key: str,
    *,
    default_sample: str | None = None,
    max_pixels: int = images.MAX_PIXELS,
    min_side: int = 1,
    show: bool = True,
) -> Image.Image | None:
    """Let the user pick an image; returns RGB, or None (with the reason shown) if there is none. A
    picture another tool sent here ("Send to", ui.send) comes first, until the person picks another."""
    from ui import send

    if st.session_state.get(f"{key}_unsend"):  # "Pick another picture" was pressed: the pickers again
        send.forget(key)
    given = send.sent(key)
    if given is not None:
        st.markdown(f"**{label}**")
        st.info(f"Sent from {given['words']}.", icon=":material/send:")
        st.button("Pick another picture", key=f"{key}_unsend", icon=":material/close:")
        image = _decode(given["png"], max_pixels, min_side)
        if show:
            st.image(files.data_url(image), caption=f"{image.width}x{image.height}", width="stretch")
        return image
    sources = ["Sample", "Upload", "Camera"]
    source = st.radio(label, sources, horizontal=True, key=f"{key}_source")
    image = None
    try:
        if source == "Upload":
            upload = st.file_uploader(
                "Image file",
                type=images.UPLOAD_TYPES,
                key=f"{key}_upload",
                help="PNG, JPEG, WebP, BMP, TIFF or GIF (first frame; the ASCII page animates every frame).",
            )
            if upload is not None:
                image = _decode(upload.getvalue(), max_pixels, min_side)
        elif source == "Camera":
            photo = st.camera_input("Take a photo", key=f"{key}_camera")
            if photo is not None:
                image = _decode(photo.getvalue(), max_pixels, min_side)
        else:
            names = images.list_samples()
            index = names.index(default_sample) if default_sample in names else 0
            name = st.selectbox("Sample", names, index=index, key=f"{key}_sample")
            st.caption(f"Source: {images.SAMPLES[name][1]}")
            image = _sample(name)
    except ValueError as error:
        st.error(str(error))
        return None
    if image is not None and show:
        st.image(files.data_url(image), caption=f"{image.width}x{image.height}", width="stretch")
    return image


def uploaded_bytes(key: str) -> bytes | None:
    """The file the user uploaded to ``image_input(key=key)``, as bytes, while Upload is chosen."""
    if st.session_state.get(f"{key}_source") != "Upload":
        return None
    upload = st.session_state.get(f"{key}_upload")
    return upload.getvalue() if upload is not None else None
