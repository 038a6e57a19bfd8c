"""A before/after slider over two pictures: drag across to see the photo under the result.

Our own few lines of HTML rather than a component package: the pictures travel inline (no
server round trip per drag), it works offline, and it needs nothing beyond Streamlit.
"""

from __future__ import annotations

import base64
import html
import io

import numpy as np
import streamlit as st
from PIL import Image


def _data_url(picture: Image.Image | np.ndarray) -> str:
    if isinstance(picture, np.ndarray):
        picture = Image.fromarray(picture)
    buffer = io.BytesIO()
    picture.convert("RGB").save(buffer, format="JPEG", quality=90)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()


def before_after(
    before, after, *, labels: tuple[str, str] = ("Photo", "Result"), width: int = 640, key: str = ""
) -> None:
    """``before`` and ``after`` (PIL or HxWx3 uint8) one over the other, split by a slider, at most
    ``width`` px wide and never wider than the column."""
    after_image = Image.fromarray(after) if isinstance(after, np.ndarray) else after
    before_image = Image.fromarray(before) if isinstance(before, np.ndarray) else before
    before_image = before_image.convert("RGB").resize(after_image.size)
    shown_width = min(width, after_image.width * 4)
    element = f"cmp{abs(hash(key)) % 10**8}"
    left, right = (html.escape(text) for text in labels)
    # As wide as the column allows, up to ``width``, in the picture's proportions: a fixed width
    # wider than a narrow column cut the right-hand label off.
    st.iframe(
        f"""
<style>body {{ margin: 0; }}</style>
<div id="{element}" style="position:relative;width:100%;max-width:{shown_width}px;
     aspect-ratio:{after_image.width}/{after_image.height};user-select:none;font-family:sans-serif;font-size:12px">
  <img src="{_data_url(after_image)}" style="position:absolute;inset:0;width:100%;height:100%">
  <img id="{element}-before" src="{_data_url(before_image)}"
       style="position:absolute;inset:0;width:100%;height:100%;clip-path:inset(0 50% 0 0)">
  <div id="{element}-bar" style="position:absolute;top:0;bottom:0;left:50%;width:2px;background:white;
       box-shadow:0 0 3px #0008"></div>
  <span style="position:absolute;left:6px;top:6px;background:#0008;color:white;padding:1px 5px">{left}</span>
  <span style="position:absolute;right:6px;top:6px;background:#0008;color:white;padding:1px 5px">{right}</span>
  <input type="range" min="0" max="100" value="50" aria-label="before and after"
         style="position:absolute;left:0;bottom:4px;width:100%;margin:0"
         oninput="document.getElementById('{element}-before').style.clipPath='inset(0 '+(100-this.value)+'% 0 0)';
                  document.getElementById('{element}-bar').style.left=this.value+'%'">
</div>""",
        width="stretch",
        height="content",
    )
