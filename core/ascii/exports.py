"""The text as files: txt, html, ansi, png and svg for a picture; gif, a png strip, a playing
html page, txt and ansi for the frames of an animation. Every export is drawn in the result's
font (html and svg embed it) and in its polarity: dark ink on white paper, or light glyphs on
black for a screen."""

from __future__ import annotations

import base64
import html
import io
import json
from collections.abc import Sequence

import numpy as np
from PIL import Image

from core.ascii import ANIMATION_FORMATS, EXPORT_FORMATS
from core.ascii.pipeline import AsciiResult
from core.ascii.rendering import render
from core.images import DEFAULT_FRAME_MS


def export(result: AsciiResult, format: str) -> bytes:
    """The result as txt, html, ansi (24-bit colour), png or svg, in the result's font."""
    if format == "txt":
        return result.text.encode("utf-8")
    if format == "png":
        buffer = io.BytesIO()
        Image.fromarray(render(result)).save(buffer, format="PNG", optimize=True)
        return buffer.getvalue()
    if format == "ansi":
        return _ansi(result).encode("utf-8")
    if format == "html":
        return _html(result).encode("utf-8")
    if format == "svg":
        return _svg(result).encode("utf-8")
    raise ValueError(f"Unknown format {format!r}; choose from {', '.join(EXPORT_FORMATS)}.")


def _cell_colours(result: AsciiResult) -> np.ndarray:
    if result.config.colour_mode == "colour":
        return result.colours
    value = 255 if result.screen else 0
    return np.full(result.colours.shape, value, np.uint8)


def _runs(line: str, colours: np.ndarray):
    """Split a line into (text, colour) runs of one colour."""
    start = 0
    for end in range(1, len(line) + 1):
        if end == len(line) or tuple(colours[end]) != tuple(colours[start]):
            yield line[start:end], colours[start]
            start = end


def _ansi(result: AsciiResult) -> str:
    colours = _cell_colours(result)
    background = "\x1b[48;2;0;0;0m" if result.screen else "\x1b[48;2;255;255;255m"
    lines = []
    for row, line in enumerate(result.lines):
        parts = [background]
        for text, (r, g, b) in _runs(line, colours[row]):
            parts.append(f"\x1b[38;2;{r};{g};{b}m{text}")
        lines.append("".join(parts) + "\x1b[0m")
    return "\n".join(lines) + "\n"


def _font_face(result: AsciiResult) -> str:
    encoded = base64.b64encode(result.font.data).decode("ascii")
    return f"@font-face {{ font-family: 'AtelierGlyphs'; src: url(data:font/ttf;base64,{encoded}); }}"


def _html(result: AsciiResult) -> str:
    size = result.config.font_size
    paper, ink = ("#000", "#fff") if result.screen else ("#fff", "#000")
    colours = _cell_colours(result)
    body = []
    for row, line in enumerate(result.lines):
        if result.config.colour_mode == "colour":
            body.append(
                "".join(
                    f'<span style="color:#{r:02x}{g:02x}{b:02x}">{html.escape(text)}</span>'
                    for text, (r, g, b) in _runs(line, colours[row])
                )
            )
        else:
            body.append(html.escape(line))
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>ASCII art · Atelier</title>\n'
        f"<style>{_font_face(result)}\n"
        f"body {{ background: {paper}; margin: 1em; }}\n"
        f"pre {{ font-family: 'AtelierGlyphs', monospace; font-size: {size}px; "
        f"line-height: {result.font.height * size:.3f}px; color: {ink}; margin: 0; }}</style></head>\n"
        f"<body><pre>{chr(10).join(body)}</pre></body></html>\n"
    )


def _svg(result: AsciiResult) -> str:
    size = result.config.font_size
    cell_w, cell_h = round(result.font.advance * size), round(result.font.height * size)
    width, height = cell_w * len(result.lines[0]), cell_h * result.rows
    paper = "#000" if result.screen else "#fff"
    colours = _cell_colours(result)
    rows = []
    for row, line in enumerate(result.lines):
        baseline = row * cell_h + result.font.ascent * size
        spans, column = [], 0
        for text, (r, g, b) in _runs(line, colours[row]):
            spans.append(f'<tspan x="{column * cell_w}" fill="#{r:02x}{g:02x}{b:02x}">{html.escape(text)}</tspan>')
            column += len(text)
        rows.append(f'<text y="{baseline:.2f}" textLength="{cell_w * len(line)}">{"".join(spans)}</text>')
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}">\n'
        f"<style>{_font_face(result)}\n"
        f"text {{ font-family: 'AtelierGlyphs', monospace; font-size: {size}px; white-space: pre; }}</style>\n"
        f'<rect width="100%" height="100%" fill="{paper}"/>\n' + "\n".join(rows) + "\n</svg>\n"
    )


def export_frames(results: Sequence[AsciiResult], format: str, durations: Sequence[int] | None = None) -> bytes:
    """Every frame of an animation in one file: an animated gif, a png strip (frames one under
    another), an html page that plays them, txt (frames split by form feeds) or ansi (each
    frame redrawn from the top left, for ``cat`` in a terminal). ``durations`` in ms."""
    if not results:
        raise ValueError("There are no frames to export.")
    durations = list(durations) if durations is not None else [DEFAULT_FRAME_MS] * len(results)
    if len(durations) != len(results):
        raise ValueError(f"{len(results)} frames but {len(durations)} durations.")
    if format == "gif":
        frames = [Image.fromarray(render(result)) for result in results]
        if results[0].config.colour_mode == "colour":  # one palette per frame, chosen from its colours
            frames = [frame.quantize(colors=256, method=Image.Quantize.MEDIANCUT) for frame in frames]
        else:
            frames = [frame.convert("L") for frame in frames]
        buffer = io.BytesIO()
        frames[0].save(
            buffer,
            format="GIF",
            save_all=True,
            append_images=frames[1:],
            loop=0,
            duration=[max(20, int(value)) for value in durations],
            optimize=False,
            disposal=1,
        )
        return buffer.getvalue()
    if format == "png":
        buffer = io.BytesIO()
        Image.fromarray(np.vstack([render(result) for result in results])).save(buffer, format="PNG", optimize=True)
        return buffer.getvalue()
    if format == "txt":
        return "\f\n".join(result.text for result in results).encode("utf-8")
    if format == "ansi":
        return ("\x1b[2J" + "".join("\x1b[H" + _ansi(result) for result in results)).encode("utf-8")
    if format == "html":
        return _playing_html(results, durations).encode("utf-8")
    raise ValueError(f"Unknown format {format!r} for frames; choose from {', '.join(ANIMATION_FORMATS)}.")


def _playing_html(results: Sequence[AsciiResult], durations: Sequence[int]) -> str:
    """One page, every frame a hidden <pre>; a few lines of script show them in turn (a click
    pauses and resumes). Mono frames only: colour frames would repeat a span per run per frame."""
    first = results[0]
    size = first.config.font_size
    paper, ink = ("#000", "#fff") if first.screen else ("#fff", "#000")
    frames = "\n".join(
        f'<pre class="frame"{"" if index == 0 else " hidden"}>{html.escape(result.text)}</pre>'
        for index, result in enumerate(results)
    )
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>ASCII animation · Atelier</title>\n'
        f"<style>{_font_face(first)}\n"
        f"body {{ background: {paper}; margin: 1em; }}\n"
        f"pre {{ font-family: 'AtelierGlyphs', monospace; font-size: {size}px; "
        f"line-height: {first.font.height * size:.3f}px; color: {ink}; margin: 0; cursor: pointer; }}</style></head>\n"
        f"<body>\n{frames}\n<script>\n"
        f"const durations = {json.dumps([max(20, int(value)) for value in durations])};\n"
        "const frames = document.querySelectorAll('pre.frame');\n"
        "let current = 0, playing = true, timer = null;\n"
        "function show(next) { frames[current].hidden = true; current = next; frames[current].hidden = false; }\n"
        "function tick() { if (!playing) return; show((current + 1) % frames.length);"
        " timer = setTimeout(tick, durations[current]); }\n"
        "document.body.addEventListener('click', () => { playing = !playing;"
        " if (playing) tick(); else clearTimeout(timer); });\n"
        "if (frames.length > 1) timer = setTimeout(tick, durations[0]);\n"
        "</script></body></html>\n"
    )
