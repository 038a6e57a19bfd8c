"""Presets (issue #32): the built-in ones, a person's own (save, rename, delete, export, import),
the last settings kept per tool, and two people who never see each other's."""

from __future__ import annotations

import dataclasses
import json

import pytest

from core import presets, provenance, tools
from core.ascii import AsciiConfig


@pytest.mark.parametrize("tool_name", sorted(tools.TOOLS))
def test_every_tool_with_a_form_has_three_built_in_presets_that_fit_its_config(tool_name):
    found = presets.builtin(tool_name)
    if tool_name.endswith("-video"):
        assert found == []  # a video's few settings sit in its tab
        return
    assert len(found) >= 3 and len({preset.name for preset in found}) == len(found)
    default = dataclasses.asdict(tools.TOOLS[tool_name].config({}))
    for preset in found:
        config = preset.config()
        assert dataclasses.asdict(config) != default, preset.name  # each changes something
        assert preset.description


def test_a_persons_presets_save_rename_export_import_and_delete(tmp_path):
    store = presets.PresetStore(tmp_path, "browser:alice")
    wide = AsciiConfig(columns=180, charset="ramp")
    store.save("ascii", "  Wide   ramp ", wide)
    assert [(preset.name, preset.config()) for preset in store.mine("ascii")] == [("Wide ramp", wide)]
    with pytest.raises(ValueError, match="already have a preset called 'Wide ramp'"):
        store.save("ascii", "Wide ramp", AsciiConfig(columns=90))
    with pytest.raises(ValueError, match="needs a name"):
        store.save("ascii", "   ", wide)
    store.rename("ascii", "Wide ramp", "Ramp, wide")
    exported = store.export("ascii")
    assert json.loads(exported)["presets"][0]["name"] == "Ramp, wide"
    assert store.import_(exported) == ["Ramp, wide (2)"]  # a name taken gets a number
    store.delete("ascii", "Ramp, wide")
    assert [preset.name for preset in store.mine("ascii")] == ["Ramp, wide (2)"]
    assert store.mine("style") == []
    with pytest.raises(ValueError, match="no preset called"):
        store.delete("ascii", "Ramp, wide")


def test_an_atelier_result_imports_as_a_preset_and_a_bad_one_adds_nothing(tmp_path):
    store = presets.PresetStore(tmp_path, "browser:alice")
    stamped = provenance.embed(b"@@..\n", "txt", tools.make_stamp("ascii", AsciiConfig(columns=72)))
    assert store.import_(stamped, "portrait.txt") == ["portrait"]
    assert store.mine("ascii")[0].config().columns == 72
    bad = json.dumps(
        {
            "atelier-presets": 1,
            "presets": [
                {"tool": "ascii", "name": "fine", "settings": {"columns": 80}},
                {"tool": "ascii", "name": "broken", "settings": {"columns": "many"}},
            ],
        }
    ).encode()
    with pytest.raises(ValueError, match="'broken' does not fit this Atelier: columns must be a whole number"):
        store.import_(bad)
    assert [preset.name for preset in store.mine("ascii")] == ["portrait"]  # all or nothing
    with pytest.raises(ValueError, match="newer Atelier"):
        store.import_(json.dumps({"atelier-presets": 5, "presets": []}).encode())
    with pytest.raises(ValueError, match="holds no Atelier settings"):
        store.import_(b"not a preset", "notes.txt")


def test_the_last_settings_are_kept_per_tool_and_per_person(tmp_path):
    alice, bob = presets.PresetStore(tmp_path, "browser:alice"), presets.PresetStore(tmp_path, "browser:bob")
    assert alice.last("ascii") is None
    assert alice.remember_last("ascii", AsciiConfig(columns=64)) is True
    assert alice.remember_last("ascii", AsciiConfig(columns=64)) is False  # unchanged: not written again
    alice.save("ascii", "Mine", AsciiConfig(columns=64))
    assert alice.last("ascii") == AsciiConfig(columns=64)
    assert bob.last("ascii") is None and bob.mine("ascii") == []  # never another person's
    assert alice.path.parent != bob.path.parent
    assert "alice" not in str(alice.path)  # the folder is a key, not the person's id


def test_no_server_path_goes_into_a_preset(tmp_path):
    store = presets.PresetStore(tmp_path, "browser:alice")
    config = tools.TOOLS["gan"].config({"dataset": str(tmp_path / "uploads" / "k" / "abc123"), "channels": 3})
    store.save("gan", "My pictures", config)
    assert str(tmp_path) not in store.export("gan").decode()
    assert store.mine("gan")[0].settings["dataset"] == "abc123"
