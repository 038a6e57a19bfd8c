"""Presets: named settings for a tool. Three or more built in per tool (each a few settings over the
defaults, chosen by looking at what they make), and each person's own, kept with the last settings
they used on each tool, under ``runs/people/<owner key>/presets.json``: never listed to anyone else,
and outside retention (which only ever deletes run folders).

A preset holds the tool's whole config as JSON, checked on the way in (``tools.Tool.config``), so a
preset saved by an older Atelier that no longer fits is refused by name rather than half applied.
Export and import use one small JSON document; an Atelier result (or settings file) imports as a
preset too.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from core import provenance, tools
from core.gan.config import SMALL_SET_DEFAULTS
from core.jobs.files import read_json, write_json
from core.jobs.owners import owner_key

PEOPLE = "people"  # runs/people/<owner key>/: what belongs to a person rather than to a run
EXPORT_MARKER = "atelier-presets"
EXPORT_VERSION = 1
MAX_NAME = 60
MAX_PRESETS = 200  # per person: a store that grows without bound is a mistake, not a library


@dataclasses.dataclass(frozen=True)
class Preset:
    tool: str
    name: str
    settings: dict[str, Any]  # for a built-in: only what differs from the defaults
    description: str = ""
    builtin: bool = False

    def config(self) -> Any:
        """The tool's config this preset makes (a built-in's settings over the defaults)."""
        return tools.TOOLS[self.tool].config(self.settings)


BUILTIN = {
    "ascii": (
        Preset(
            "ascii",
            "Fine detail",
            {"columns": 200, "edge_weight": 1.5},
            "200 columns, strokes weighed above tone: faces and hair read at print size",
            True,
        ),
        Preset(
            "ascii",
            "Soft print",
            {"columns": 120, "polarity": "paper", "local_contrast": 0.0, "contrast": 1.0, "gamma": 1.2},
            "dark ink on paper with the picture's own contrast: quiet, like a page of type",
            True,
        ),
        Preset(
            "ascii",
            "Bold blocks",
            {"columns": 64, "charset": "ramp", "contrast": 1.6, "edge_weight": 0.5},
            "64 columns of the classic ramp, pushed contrast: big shapes, readable from afar",
            True,
        ),
    ),
    "style": (
        Preset(
            "style",
            "Gentle",
            {"style_weight": 10 ** (4 * 0.25 - 3)},
            "strength 0.25: the painting's palette and small strokes; the subject's features stay sharp",
            True,
        ),
        Preset(
            "style",
            "Painterly",
            {"style_weight": 10 ** (4 * 0.6 - 3), "multiscale": True},
            "strength 0.6, coarse to fine: brush strokes at two scales over the photo's layout",
            True,
        ),
        Preset(
            "style",
            "Photo's colours",
            {"style_weight": 10 ** (4 * 0.5 - 3), "preserve_colour": True},
            "strength 0.5 on brightness only: the painting's strokes in the photo's own colours",
            True,
        ),
    ),
    "sketch-train": (
        Preset(
            "sketch-train",
            "Quick look",
            {"epochs": 8, "patience": 3},
            "8 epochs of the small U-Net: a first model in a few minutes on a CPU",
            True,
        ),
        Preset(
            "sketch-train",
            "The design's autoencoder",
            {"architecture": "plain", "width": 64, "depth": 3},
            "the plain encoder-decoder of the original design, for comparison with the U-Net",
            True,
        ),
        Preset(
            "sketch-train",
            "Crisper strokes",
            {"perceptual": 1.0, "epochs": 40},
            "a VGG19 feature loss beside the pixel loss: sharper lines, about twice the time",
            True,
        ),
    ),
    "gan": (
        Preset(
            "gan",
            "Quick look",
            {"epochs": 2, "ngf": 32, "ndf": 32, "limit": 10000},
            "a narrow DCGAN on 10,000 garments for 2 epochs: shapes appear in a couple of minutes",
            True,
        ),
        Preset(
            "gan",
            "The paper's DCGAN",
            {"epochs": 25},
            "Radford et al.'s settings on Fashion-MNIST for 25 epochs: the shipped generator's recipe",
            True,
        ),
        Preset(
            "gan",
            "Abstract art (FastGAN)",
            {"dataset": "abstract-art", "channels": 3, "crops": 60, **SMALL_SET_DEFAULTS, "epochs": 30},
            "the small-set model on Debian's desktop artwork: 30 epochs, the shipped abstract generator's recipe",
            True,
        ),
    ),
}


def builtin(tool_name: str) -> list[Preset]:
    return list(BUILTIN.get(tool_name, ()))


class PresetStore:
    """One person's presets and last settings (a JSON file written atomically)."""

    def __init__(self, runs_dir: str | Path, owner: str):
        self.path = Path(runs_dir) / PEOPLE / owner_key(owner) / "presets.json"

    def _read(self) -> dict[str, Any]:
        data = read_json(self.path, {})
        data = data if isinstance(data, dict) else {}
        data.setdefault("presets", [])
        data.setdefault("last", {})
        return data

    def _write(self, data: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_json(self.path, data)

    def mine(self, tool_name: str) -> list[Preset]:
        """This person's presets of a tool, by name."""
        found = [
            Preset(entry["tool"], entry["name"], entry["settings"])
            for entry in self._read()["presets"]
            if isinstance(entry, dict) and entry.get("tool") == tool_name and isinstance(entry.get("settings"), dict)
        ]
        return sorted(found, key=lambda preset: preset.name.lower())

    def save(self, tool_name: str, name: str, config: Any, *, replace: bool = False) -> Preset:
        name = _checked_name(name)
        tools.tool(tool_name)
        settings = _settings_of(tool_name, config)
        data = self._read()
        clash = [entry for entry in data["presets"] if (entry.get("tool"), entry.get("name")) == (tool_name, name)]
        if clash and not replace:
            raise ValueError(f"You already have a preset called {name!r} for this tool: choose another name.")
        if not clash and len(data["presets"]) >= MAX_PRESETS:
            raise ValueError(f"You have {MAX_PRESETS} presets already: delete some first.")
        data["presets"] = [entry for entry in data["presets"] if entry not in clash]
        data["presets"].append({"tool": tool_name, "name": name, "settings": settings})
        self._write(data)
        return Preset(tool_name, name, settings)

    def rename(self, tool_name: str, old: str, new: str) -> None:
        new = _checked_name(new)
        data = self._read()
        if any((entry.get("tool"), entry.get("name")) == (tool_name, new) for entry in data["presets"]):
            raise ValueError(f"You already have a preset called {new!r} for this tool.")
        for entry in data["presets"]:
            if (entry.get("tool"), entry.get("name")) == (tool_name, old):
                entry["name"] = new
                self._write(data)
                return
        raise ValueError(f"There is no preset called {old!r}.")

    def delete(self, tool_name: str, name: str) -> None:
        data = self._read()
        kept = [entry for entry in data["presets"] if (entry.get("tool"), entry.get("name")) != (tool_name, name)]
        if len(kept) == len(data["presets"]):
            raise ValueError(f"There is no preset called {name!r}.")
        data["presets"] = kept
        self._write(data)

    def export(self, tool_name: str) -> bytes:
        """This person's presets of a tool as one JSON document (for another machine, or a friend)."""
        document = {
            EXPORT_MARKER: EXPORT_VERSION,
            "presets": [{"tool": p.tool, "name": p.name, "settings": p.settings} for p in self.mine(tool_name)],
        }
        return json.dumps(document, indent=2).encode()

    def import_(self, data: bytes, file_name: str = "presets.json") -> list[str]:
        """Add the presets in an export (or the settings in one Atelier result, named after the
        file); a name already taken gets " (2)". Returns the names added. ValueError, naming the
        preset, for one that does not fit this Atelier: nothing is added then."""
        incoming = _incoming(data, file_name)
        checked = []
        for tool_name, name, settings in incoming:
            try:
                tools.TOOLS[tools.tool(tool_name).name].config(settings)
            except ValueError as error:
                raise ValueError(f"The preset {name!r} does not fit this Atelier: {error}") from None
            checked.append((tool_name, _checked_name(name), settings))
        store = self._read()
        taken = {(entry.get("tool"), entry.get("name")) for entry in store["presets"]}
        if len(store["presets"]) + len(checked) > MAX_PRESETS:
            raise ValueError(f"That would make more than {MAX_PRESETS} presets: delete some first.")
        added = []
        for tool_name, name, settings in checked:
            unique, number = name, 2
            while (tool_name, unique) in taken:
                unique, number = f"{name} ({number})", number + 1
            taken.add((tool_name, unique))
            store["presets"].append({"tool": tool_name, "name": unique, "settings": settings})
            added.append(unique)
        self._write(store)
        return added

    def remember_last(self, tool_name: str, config: Any) -> bool:
        """Keep the settings this person last used on a tool (True when they changed)."""
        settings = _settings_of(tool_name, config)
        data = self._read()
        if data["last"].get(tool_name) == settings:
            return False
        data["last"][tool_name] = settings
        self._write(data)
        return True

    def last(self, tool_name: str) -> Any | None:
        """The config this person last used on a tool; None when there is none or it no longer fits."""
        settings = self._read()["last"].get(tool_name)
        if not isinstance(settings, dict):
            return None
        try:
            return tools.TOOLS[tool_name].config(settings)
        except (ValueError, KeyError, TypeError):
            return None


def _checked_name(name: str) -> str:
    name = " ".join(str(name).split())
    if not name:
        raise ValueError("A preset needs a name.")
    if len(name) > MAX_NAME:
        raise ValueError(f"A preset's name has at most {MAX_NAME} characters.")
    return name


def _settings_of(tool_name: str, config: Any) -> dict[str, Any]:
    found = tools.tool(tool_name)
    values = dataclasses.asdict(config) if dataclasses.is_dataclass(config) else dict(config)
    values = {name: value for name, value in values.items() if name not in found.inputs}
    return json.loads(json.dumps(tools.portable(tool_name, values), default=str))  # no server path


def _incoming(data: bytes, file_name: str) -> list[tuple[str, str, dict[str, Any]]]:
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        document = None
    if isinstance(document, dict) and EXPORT_MARKER in document:
        if not isinstance(document[EXPORT_MARKER], int) or document[EXPORT_MARKER] > EXPORT_VERSION:
            raise ValueError("These presets come from a newer Atelier: update Atelier to import them.")
        entries = document.get("presets")
        if not isinstance(entries, list) or not all(
            isinstance(entry, dict) and isinstance(entry.get("settings"), dict) for entry in entries
        ):
            raise ValueError("The presets file is broken (no list of presets with settings).")
        return [(str(entry.get("tool", "")), str(entry.get("name", "")), entry["settings"]) for entry in entries]
    stamp = provenance.read(data, file_name)  # one result's settings: a preset named after the file
    return [(stamp.tool, Path(file_name).stem, stamp.config)]
