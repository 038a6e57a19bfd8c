"""Settings that travel (issue #32): every tool's config through JSON, every output format, the
command line's --settings and info, the file service's downloads, and files whose settings are
missing or broken."""

from __future__ import annotations

import dataclasses
import io
import json
import re
import zipfile

import numpy as np
import pytest
from PIL import Image

from core import configs, provenance, tools
from core.cli import build_parser, stamps
from tests.helpers import art_lines, run_cli

# A config per tool with settings away from their defaults, so a round trip that dropped one or
# fell back to a default would show.
CHANGED = {
    "ascii": {
        "columns": 64,
        "p": 1.5,
        "charset": "ramp",
        "contrast": 2.2,
        "colour_mode": "colour",
        "auto_levels": False,
    },
    "style": {
        "size": 320,
        "steps": 40,
        "optimizer": "adam",
        "style_weight": 3.0,
        "style_blend": (0.25, 0.75),
        "seed": 9,
    },
    "style-video": {"strength": 0.6, "steadiness": 0.3, "side": 320, "max_seconds": 4.0},
    "sketch-train": {"size": 512, "architecture": "plain", "width": 24, "epochs": 7, "flip": False, "seed": 3},
    "sketch-video": {"model": "512", "working_side": 384, "darkness": 1.4, "line_weight": 2},
    "gan": {"dataset": "abstract-art", "size": 128, "channels": 3, "epochs": 3, "classes": (1, 4), "seed": 11},
}


def changed_config(tool_name: str):
    return tools.TOOLS[tool_name].config(CHANGED[tool_name])


def picture_bytes(format: str, size=(24, 16)) -> bytes:
    rng = np.random.default_rng(0)
    buffer = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (*size[::-1], 3), np.uint8)).save(buffer, format=format)
    return buffer.getvalue()


def test_the_changed_configs_really_differ_from_the_defaults():
    for tool_name in tools.TOOLS:
        config = changed_config(tool_name)
        default = configs.to_dict(type(config)())
        for name, value in CHANGED[tool_name].items():
            assert default[name] != value, (tool_name, name)


@pytest.mark.parametrize("tool_name", sorted(tools.TOOLS))
def test_every_tools_config_round_trips_through_json(tool_name):
    config = changed_config(tool_name)
    stamp = tools.make_stamp(tool_name, config, inputs={"photo": "ab" * 32})
    back = provenance.Stamp.from_json(stamp.to_json())
    assert back == stamp
    assert tools.config_of(back) == config  # tuples stay tuples, floats floats


@pytest.mark.parametrize("tool_name", sorted(tools.TOOLS))
@pytest.mark.parametrize("kind", ["png", "jpeg", "webp", "txt", "html", "svg", "zip", "json"])
def test_every_format_carries_the_settings_and_stays_itself(tool_name, kind):
    stamp = tools.make_stamp(tool_name, changed_config(tool_name))
    original = {
        "png": picture_bytes("PNG"),
        "jpeg": picture_bytes("JPEG"),
        "webp": picture_bytes("WEBP"),
        "txt": b"@@%%##\n..::--\n",
        "html": b"<!DOCTYPE html>\n<html><body><pre>a--b</pre></body></html>\n",
        "svg": b'<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>\n',
        "zip": _zip({"run/result.png": b"x"}),
        "json": b"",
    }[kind]
    stamped = provenance.embed(original, kind, stamp)
    assert provenance.read(stamped, f"result.{kind}") == stamp
    again = provenance.embed(stamped, kind, dataclasses.replace(stamp, seed=12345))
    assert provenance.read(again).seed == 12345  # a new stamp replaces the old one, never two
    if kind in ("png", "jpeg", "webp"):
        # The very same picture: the settings go beside the picture data, which is never encoded again.
        before = np.asarray(Image.open(io.BytesIO(original)).convert("RGB"))
        after = np.asarray(Image.open(io.BytesIO(again)).convert("RGB"))
        assert np.array_equal(before, after)
    if kind == "txt":
        assert again.decode().splitlines()[2:] == original.decode().splitlines()
    if kind == "svg":
        assert again.startswith(b'<?xml version="1.0"')  # the declaration must stay first
    if kind == "zip":
        with zipfile.ZipFile(io.BytesIO(again)) as archive:
            assert sorted(archive.namelist()) == ["atelier-settings.json", "run/result.png"]


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_an_mp4_carries_the_settings_with_its_frames_copied(tmp_path):
    from core import clips

    clip = clips.synthetic_clip(tmp_path / "clip.mp4", seconds=0.5)
    stamp = tools.make_stamp("sketch-video", changed_config("sketch-video"))
    stamped = provenance.embed(clip.read_bytes(), "mp4", stamp)
    assert provenance.read(stamped) == stamp
    import av

    (tmp_path / "stamped.mp4").write_bytes(stamped)
    with av.open(str(clip)) as before, av.open(str(tmp_path / "stamped.mp4")) as after:
        assert after.streams.video[0].frames == before.streams.video[0].frames > 0


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"just some text\n", "holds no Atelier settings"),
        (picture_bytes("PNG"), "holds no Atelier settings"),
        (picture_bytes("JPEG"), "holds no Atelier settings"),
        (b'{"atelier-settings": 1, "tool": "ascii", "config": {"columns": 80}', "broken (not JSON"),
        (b'{"tool": "ascii", "config": {}}', "not an Atelier settings file"),
        (b'{"atelier-settings": 7, "tool": "ascii", "config": {}}', "newer Atelier"),
        (b'{"atelier-settings": 1, "tool": "ascii", "config": {}, "colour": 1}', "does not know: colour"),
        (b'{"atelier-settings": 1, "tool": "ascii", "config": []}', "no tool or no config"),
        (b"PK\x03\x04 not really a zip", "zip file is broken"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR", "cut short"),
    ],
)
def test_a_file_without_or_with_broken_settings_is_refused_in_words(data, words):
    with pytest.raises(ValueError, match=re.escape(words)):
        provenance.read(data, "upload.bin")


@pytest.mark.parametrize(
    ("tool_name", "config", "words"),
    [
        ("ascii", {"columns": "many"}, "columns must be a whole number, not 'many'"),
        ("ascii", {"colour": True}, "Unknown setting"),
        ("style", {"optimizer": "sgd"}, "optimizer must be one of lbfgs, adam"),
        ("gan", {"epochs": True}, "epochs must be a whole number"),
        ("painting", {}, "tool this Atelier does not have"),
    ],
)
def test_settings_with_a_bad_value_or_an_unknown_tool_are_refused_by_name(tool_name, config, words):
    stamp = provenance.Stamp(tool=tool_name, config=config)
    with pytest.raises(ValueError, match=re.escape(words)):
        tools.config_of(provenance.Stamp.from_json(stamp.to_json()))


def test_out_of_range_values_are_reported_for_the_page_to_bring_inside():
    from core.ascii import AsciiConfig

    assert configs.out_of_range(AsciiConfig(columns=100)) == []
    assert configs.out_of_range(AsciiConfig(columns=100, contrast=5.0)) == [
        "contrast is 5, outside its range 0.2 to 3."
    ]


def parsed(*argv: str):
    parser = build_parser()
    arguments = parser.parse_args(list(argv))
    stamps.prepare(parser, arguments, list(argv))
    return arguments


def settings_file(tmp_path, tool_name: str):
    path = tmp_path / f"{tool_name}.json"
    path.write_bytes(provenance.embed(b"", "json", tools.make_stamp(tool_name, changed_config(tool_name))))
    return path


def test_every_tools_command_starts_from_a_settings_file_and_its_typed_flags_win(tmp_path):
    """The command line builds each tool's config in one call: typed flag, else the file, else the
    default."""
    from core.cli import ascii, gan, sketch, style

    path = settings_file(tmp_path, "ascii")
    config = ascii.ascii_config(parsed("ascii", "in.png", "--output-dir", "o", "--settings", str(path)))
    assert config == changed_config("ascii")
    config = ascii.ascii_config(parsed("ascii", "in.png", "--output-dir", "o", "--settings", str(path), "--p", "3"))
    assert config == dataclasses.replace(changed_config("ascii"), p=3.0)
    config = ascii.ascii_config(
        parsed("ascii-video", "c.mp4", "--output", "o.mp4", "--settings", str(path), "--no-auto-levels", "--invert")
    )
    assert config.polarity == "screen" and config.columns == 64 and config.colour_mode == "colour"

    path = settings_file(tmp_path, "style")
    config = style.style_config(parsed("style", "a.png", "b.png", "--output", "o.png", "--settings", str(path)), [])
    assert config == dataclasses.replace(changed_config("style"), preview_every=40)
    config = style.style_config(
        parsed("style", "a.png", "b.png", "--output", "o.png", "--settings", str(path), "--strength", "0.5"), []
    )
    assert config.style_weight == pytest.approx(0.1) and config.steps == 40  # strength typed: its weight wins

    path = settings_file(tmp_path, "sketch-train")
    arguments = parsed("sketch-train", "--output-weights", "m.keras", "--settings", str(path), "--seed", "4")
    assert sketch.sketch_train_config(arguments) == dataclasses.replace(changed_config("sketch-train"), seed=4)

    path = settings_file(tmp_path, "gan")
    config = gan.gan_train_config(parsed("gan-train", "--output", "g.pt", "--settings", str(path)))
    assert config == changed_config("gan")
    config = gan.gan_train_config(parsed("gan-train", "--output", "g.pt", "--settings", str(path), "--classes"))
    assert config.classes == ()  # typed, even empty, wins


def test_a_settings_file_of_another_tool_or_none_is_refused(tmp_path):
    path = settings_file(tmp_path, "style")
    with pytest.raises(ValueError, match="holds Style Transfer settings; this command takes ASCII Art's"):
        parsed("ascii", "in.png", "--output-dir", "o", "--settings", str(path))
    (tmp_path / "plain.png").write_bytes(picture_bytes("PNG"))
    with pytest.raises(ValueError, match="holds no Atelier settings"):
        parsed("gan-train", "--output", "g.pt", "--settings", str(tmp_path / "plain.png"))
    from core.cli import ascii

    with pytest.raises(ValueError, match="--columns is required"):
        ascii.ascii_config(parsed("ascii", "in.png", "--output-dir", "o"))


@pytest.mark.slow
def test_ascii_results_carry_their_settings_and_make_the_same_art_again(tmp_path):
    from skimage import data

    photo = tmp_path / "astronaut.png"
    Image.fromarray(data.astronaut()[::4, ::4]).save(photo)
    first = run_cli(
        "ascii", photo, "--columns", "48", "--charset", "ramp", "--contrast", "2",
        "--format", "txt,png,svg,html,ansi", "--output-dir", tmp_path / "first",
    )  # fmt: skip
    assert first.returncode == 0, first.stderr
    info = run_cli("info", tmp_path / "first" / "astronaut.png")
    assert info.returncode == 0 and "tool: ascii" in info.stdout and 'charset = "ramp"' in info.stdout
    assert f"astronaut.png: {provenance.file_sha256(photo)}" in info.stdout
    assert not (tmp_path / "first" / "astronaut.ansi").read_text().startswith("atelier-settings")
    # Again from the SVG's settings alone: the same art, line for line.
    again = run_cli(
        "ascii", photo, "--settings", tmp_path / "first" / "astronaut.svg", "--output-dir", tmp_path / "again"
    )
    assert again.returncode == 0, again.stderr
    assert art_lines(tmp_path / "again" / "astronaut.txt") == art_lines(tmp_path / "first" / "astronaut.txt")
    plain = run_cli("ascii", photo, "--columns", "48", "--no-settings", "--output-dir", tmp_path / "plain")
    assert plain.returncode == 0 and len((tmp_path / "plain" / "astronaut.txt").read_text().splitlines()[0]) == 48
    broken = run_cli("info", photo)
    assert broken.returncode == 2 and "holds no Atelier settings" in broken.stderr and "Traceback" not in broken.stderr
    as_json = run_cli("info", tmp_path / "first" / "astronaut.html", "--json")
    assert json.loads(as_json.stdout)["config"]["columns"] == 48


def test_a_runs_downloads_carry_its_settings_and_never_a_server_path(tmp_path):
    from fastapi.testclient import TestClient

    from core.api.app import create_app
    from core.jobs import owners
    from core.jobs.store import RunStore

    runs = tmp_path / "runs"
    runs.mkdir()
    store = RunStore(runs)
    model = tmp_path / "secret-place" / "model.keras"
    model.parent.mkdir()
    model.write_bytes(b"weights")
    config = dataclasses.asdict(changed_config("sketch-video")) | {"clip": str(tmp_path / "up" / "c.mp4")}
    config["model"] = str(model)
    job_id = store.create("sketch-video", "core.sketch.video:job", config, owner=owners.EVERYONE)
    folder = runs / job_id
    (folder / "result.png").write_bytes(picture_bytes("PNG"))
    client = TestClient(create_app(runs, shared=True))
    answer = client.get(f"/api/v1/runs/{job_id}/files/result.png?download=true")
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/png"
    assert "attachment" in answer.headers["content-disposition"]
    stamp = provenance.read(answer.content)
    assert stamp.tool == "sketch-video" and stamp.run == job_id
    assert stamp.config["model"] == "model.keras" and "clip" not in stamp.config
    assert str(tmp_path) not in stamp.to_json()
    assert stamp.weights["sketch model"] == provenance.bytes_sha256(b"weights")
    assert tools.config_of(stamp).working_side == 384
    card = json.loads((folder / "card.json").read_text())
    (folder / "card.json").write_text(json.dumps({**card, "parent": "20261207-101010-style-abcdef"}))
    assert provenance.read(client.get(f"/api/v1/runs/{job_id}/files/result.png").content).parent == (
        "20261207-101010-style-abcdef"
    )  # the run its input was sent from
    (folder / "card.json").write_text(json.dumps(card))
    inline = client.get(f"/api/v1/runs/{job_id}/files/result.png")
    assert provenance.read(inline.content) == stamp  # shown on a page and saved from there, too
    whole = client.get(f"/api/v1/runs/{job_id}/zip")
    assert provenance.read(whole.content).run == job_id
    (folder / "inputs" / "photo.png").write_bytes(picture_bytes("PNG"))
    served = client.get(f"/api/v1/runs/{job_id}/files/inputs/photo.png")
    with pytest.raises(ValueError, match="holds no Atelier settings"):
        provenance.read(served.content)  # an input is the person's own file, served as it is


def test_the_pages_own_widgets_are_filled_from_a_results_settings():
    """The widgets a page offers in its own way: Style Transfer's strength slider from the style
    weight (or the weights by hand where no strength makes them), the second style's share, the
    video tabs' frame sizes (the nearest the page offers), GAN Studio's data."""
    from core import style
    from ui import gan as gan_ui
    from ui import sketch as sketch_ui
    from ui import style as style_ui

    values = configs.to_dict(style.StyleConfig(style_weight=style.style_weight_for(0.6), style_blend=(1, 3)))
    assert style_ui.restored_widgets(values) | {"_covers": None} == {
        "style_strength": 0.6,
        "style_own_weights": False,
        "style_share": 0.75,
        "style_use_second": True,  # a blend of two: the second painting's switch goes on
        "_covers": None,
    }
    by_hand = style_ui.restored_widgets(configs.to_dict(style.StyleConfig(style_weight=2.5, content_weight=0.3)))
    assert by_hand["style_own_weights"] and (by_hand["style_style_weight"], by_hand["style_content_weight"]) == (
        3.0,
        0.3,
    )
    video = style_ui.restored_video_widgets(configs.to_dict(changed_config("style-video")))
    assert video["style_video_side"] == 320 and video["style_strength"] == pytest.approx(0.45)
    assert sketch_ui.restored_video_widgets({**CHANGED["sketch-video"], "max_seconds": 5})["sketch_video_side"] == 384
    found = gan_ui.restored_widgets(configs.to_dict(tools.TOOLS["gan"].config({"classes": (2, 5)})))
    assert found["gan_source"] == gan_ui.SOURCES[0] and found["gan_classes"] == [2, 5]
