"""The read-only page a share link opens: the run's picture (or clip), its other products, its
settings, and (when its owner included the input) a before/after slider. Plain HTML and a few lines
of script, served by the file service: the viewer needs no Atelier, no account and no Streamlit.

Nothing on it names the run's owner; the settings are the portable ones (file names, never paths).
"""

from __future__ import annotations

import html
import json
import urllib.parse
from pathlib import Path

from core import provenance

TITLES = {
    "ascii-video": "ASCII Art video",
    "ascii-sweep": "ASCII Art sweep",
    "ascii-batch": "ASCII Art batch",
    "style-sweep": "Style Transfer sweep",
    "gan-sweep": "GAN Studio sweep",
    "gan-sample-sweep": "GAN Studio sampling sweep",
    "sketch-sweep": "Photo to Sketch sweep",
    "sketch-batch": "Photo to Sketch batch",
    "style": "Style Transfer",
    "style-video": "Style Transfer video",
    "sketch": "Photo to Sketch (a trained model)",
    "sketch-video": "Photo to Sketch video",
    "gan": "GAN Studio (a trained generator)",
    "demo": "Job Lab",
}
STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1000px; margin: 2rem auto; padding: 0 1rem; color: #2b2623;
       background: #faf7f2; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; } .quiet { color: #7a716a; font-size: 0.9rem; }
img, video { max-width: 100%; border-radius: 6px; display: block; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; margin-top: 0.5rem; }
td, th { border-bottom: 1px solid #e4ddd3; padding: 0.3rem 0.5rem; text-align: left; vertical-align: top; }
a.button { display: inline-block; margin: 0.3rem 0.4rem 0.3rem 0; padding: 0.4rem 0.8rem; border: 1px solid #cbbfb1;
           border-radius: 6px; color: inherit; text-decoration: none; background: white; }
.compare { position: relative; max-width: 100%; user-select: none; }
.compare img { position: absolute; inset: 0; width: 100%; height: 100%; }
"""


def page(title: str, card: dict, products: list[str], picture: str | None, video: str | None,
         stamp: provenance.Stamp | None, before: str | None) -> str:  # fmt: skip
    """The page's HTML; every name is a file under ``files/`` (relative to the link)."""
    made = html.escape((card.get("ended") or card.get("created") or "")[:16].replace("T", " "))
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'><meta name='robots' content='noindex'>",
        f"<title>{html.escape(title)} · Atelier</title><style>{STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p class='quiet'>Made with Atelier{f' on {made}' if made else ''} · shared read-only</p>",
    ]
    if card.get("title"):
        parts.append(f"<p>{html.escape(str(card['title']))}</p>")
    if video:
        parts.append(f"<video src='{_file(video)}' controls playsinline></video>")
    elif picture and before:
        parts.append(
            "<p class='quiet'>Drag across to see the input under the result.</p>"
            "<div class='compare' id='compare'>"
            f"<img src='{_file(picture)}' id='after' style='position:relative'>"
            f"<img src='{_file(before)}' id='before' style='clip-path:inset(0 50% 0 0)'>"
            "</div><input type='range' min='0' max='100' value='50' style='width:100%' aria-label='before and after' "
            "oninput=\"document.getElementById('before').style.clipPath='inset(0 '+(100-this.value)+'% 0 0)'\">"
        )
    elif picture:
        parts.append(f"<img src='{_file(picture)}' alt='the result'>")
    if products:
        parts.append("<h2>Files</h2><p>")
        parts += [
            f"<a class='button' href='{_file(name)}?download=true'>⤓ {html.escape(name)}</a>" for name in products
        ]
        parts.append("</p>")
    if stamp is not None:
        parts.append("<h2>Settings</h2>")
        parts.append(
            "<p><a class='button' href='settings.json'>⤓ These settings (atelier-settings.json)</a></p>"
            "<p class='quiet'>Have Atelier? Open its page for this tool and drop this file (or any file above) on "
            "“Open an Atelier result” to start from these settings.</p>"
        )
        rows = "".join(
            f"<tr><td>{html.escape(name)}</td><td>{html.escape(json.dumps(value))}</td></tr>"
            for name, value in stamp.config.items()
        )
        seed = f"<tr><td>seed</td><td>{stamp.seed}</td></tr>" if stamp.seed is not None else ""
        parts.append(f"<table><tr><th>setting</th><th>value</th></tr>{seed}{rows}</table>")
        parts.append(f"<p class='quiet'>Atelier {html.escape(stamp.version)}</p>")
    parts.append("</body></html>")
    return "".join(parts)


def _file(name: str) -> str:
    return "files/" + urllib.parse.quote(name)


def title_of(tool: str) -> str:
    return TITLES.get(tool, tool)


def relative(path: Path, root: Path) -> str:
    return str(path.relative_to(root))
