"""'Send to': a picture one tool made becomes another tool's input without a download and an upload.

The picture goes into this session's state under the receiving picker's key (``ui.inputs.image_input``
shows it as "Sent from ...", with a way back to its own choices), together with the run it came from,
so the receiving tool's run records its parent (the run card's ``parent``, and the stamp inside its
results). Nothing leaves the session: the picture is never written anywhere another person could see.
"""

from __future__ import annotations

import streamlit as st
from PIL import Image

from core import images

SENT = "_sent_pictures"  # a picker's key -> {"png": bytes, "words": what it is, "parent": a run id or ""}

# A run's saved input pictures -> the pickers that take them back ("Use these settings"): a tool whose
# inputs are uploads (clips, zips of pairs or pictures) has none here, and they are picked again.
RUN_INPUTS = {"style": (("content", "style_content"), ("style0", "style_style"), ("style1", "style_second"))}

# Where a picture can go: (the button's words, the page, the picker's key there).
TARGETS = {
    "ascii": ("ASCII Art", "pages/1_ASCII_Art.py", "ascii"),
    "sketch": ("Photo to Sketch", "pages/3_Photo_to_Sketch.py", "sketch_photo"),
    "style-content": ("Style Transfer, as the photo", "pages/2_Style_Transfer.py", "style_content"),
    "style-painting": ("Style Transfer, as the painting", "pages/2_Style_Transfer.py", "style_style"),
}


def send_menu(
    picture: Image.Image,
    *,
    words: str,
    key: str,
    parent: str = "",
    leave_out: tuple[str, ...] = (),
    width: str = "content",
) -> None:
    """A 'Send to' menu under a picture result: each button opens the other tool with the picture
    as its input. ``words`` says what it is ("your Style Transfer run of 10:42"); ``parent`` is the
    run it came from, if any."""
    with st.popover("Send to", icon=":material/send:", width=width):
        for target, (title, page, picker) in TARGETS.items():
            if target in leave_out:
                continue
            if st.button(title, key=f"{key}_send_{target}", width="stretch"):
                put(picker, images.to_png_bytes(picture), words, parent)
                st.switch_page(page)


def inputs_back(folder, tool: str) -> None:
    """A run's saved input pictures (``folder``: its owner-checked RunFolder) back in the pickers
    that take them (RUN_INPUTS), each saying which run it came from."""
    for name, picker in RUN_INPUTS.get(tool, ()):
        path = folder.input(name)
        if path.is_file():
            put(picker, path.read_bytes(), f"the inputs of your run {folder.id}")


def put(picker: str, png: bytes, words: str, parent: str = "") -> None:
    """Give the picker keyed ``picker`` this picture (PNG bytes) until the person picks another."""
    st.session_state.setdefault(SENT, {})[picker] = {"png": png, "words": words, "parent": parent}


def sent(picker: str) -> dict | None:
    """What was sent to the picker keyed ``picker``, if anything."""
    return st.session_state.get(SENT, {}).get(picker)


def forget(picker: str) -> None:
    st.session_state.get(SENT, {}).pop(picker, None)


def parent_of(*pickers: str) -> str:
    """The run the pictures in these pickers came from (the first that came from one), or ''."""
    for picker in pickers:
        found = sent(picker)
        if found and found.get("parent"):
            return found["parent"]
    return ""


def frame_menu(clip, *, words: str, key: str, parent: str = "") -> None:
    """Under a video result: pick a moment of the clip, see its frame, and send it on like a picture
    ("Send to"). The frame is read only while this panel is open."""
    from core import videos

    with st.expander("Send a frame of this video to another tool", icon=":material/photo_camera:"):
        try:
            info = videos.probe(clip)
            seconds = st.slider(
                "Frame at (seconds)",
                0.0,
                max(0.1, round(info.seconds, 1)),
                0.0,
                step=0.1,
                key=f"{key}_frame_at",
            )
            frame = Image.fromarray(videos.frame_at(clip, seconds))
        except (OSError, ValueError) as error:
            st.caption(f"This video's frames cannot be read: {error}")
            return
        from ui import files

        files.show(frame, caption=f"{seconds:.1f} s · {frame.width}x{frame.height}", width=320)
        send_menu(frame, words=f"{words} at {seconds:.1f} s", key=f"{key}_frame", parent=parent)
