"""Batches (issue #33 item 2, ASCII Art first): many pictures or zips of them as one job; a picture that
fails is listed with its reason and the rest go on; a file per picture and format with its settings
inside, a contact sheet, one zip."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest
from PIL import Image

from core import batch, provenance
from core.ascii import batch as ascii_batch
from core.jobs.runfolder import RunFolder


def png(size=(80, 60), seed=0) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 255, (*size[::-1], 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    return buffer.getvalue()


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_gather_reads_pictures_and_zips_and_lists_what_it_left_out():
    files = [
        ("one.png", png(seed=1)),
        ("broken.jpg", b"\xff\xd8 not really"),
        (
            "set.zip",
            zipped({"a/two.png": png(seed=2), "notes.txt": b"hello", "a/bad.png": b"junk", ".hidden.png": b""}),
        ),
        ("junk.zip", b"PK but not a zip"),
    ]
    found, skipped = batch.gather(files)
    assert [name for name, _ in found] == ["one.png", "a/two.png"]
    reasons = {item["name"]: item["reason"] for item in skipped}
    assert set(reasons) == {"broken.jpg", "set.zip: notes.txt", "a/bad.png", "junk.zip"}
    assert "not a picture" in reasons["set.zip: notes.txt"] and "not a zip" in reasons["junk.zip"]
    assert "image" in reasons["a/bad.png"]
    many, skipped = batch.gather([(f"{index}.png", png((8, 8), index)) for index in range(5)], most=3)
    assert len(many) == 3 and [item["name"] for item in skipped] == ["3.png", "4.png"]
    with pytest.raises(ValueError, match="No picture could be read"):
        batch.gather([("bad.png", b"junk")])


def test_unique_stems_keep_names_apart_and_safe():
    assert batch.unique_stems(["a.png", "A.jpg", "x/../b c.png", "", "a.png"], 6) == [
        "a",
        "A-2",
        "b_c",
        "picture_003",
        "a-3",
        "picture_005",
    ]


def test_the_batch_job_makes_every_file_lists_failures_and_zips_them(tmp_path):
    folder = RunFolder(tmp_path / "20261207-000000-ascii-batch-000001")
    (folder / folder.INPUTS).mkdir(parents=True)
    Image.open(io.BytesIO(png(seed=1))).save(folder.input(batch.input_name(0)))
    (folder.input(batch.input_name(1))).write_bytes(b"broken after submit")
    Image.open(io.BytesIO(png((60, 80), seed=2))).save(folder.input(batch.input_name(2)))
    config = {
        "ascii": {"columns": 24},
        "names": ["first.png", "second.png", "first.png"],
        "formats": ["png", "txt", "html"],
        "skipped": [{"name": "junk.gif", "reason": "not an image"}],
    }
    events = list(ascii_batch.job(config, folder.path))
    assert [event.step for event in events] == [0, 1, 2, 3]
    assert events[-1].result is not None and events[-1].result.shape[2] == 3, "the contact sheet is the result"
    made = sorted(path.name for path in folder.results.iterdir())
    assert made == ["first-2.html", "first-2.png", "first-2.txt", "first.html", "first.png", "first.txt"]
    stamp = provenance.read_file(folder.results / "first.txt")
    assert stamp.tool == "ascii" and stamp.config["columns"] == 24 and stamp.run == folder.id
    failures = json.loads((folder / batch.FAILURES).read_text())
    assert [item["name"] for item in failures] == ["junk.gif", "second"]
    with zipfile.ZipFile(folder / batch.ARCHIVE) as archive:
        names = set(archive.namelist())
    assert {"results/first.png", "results/first-2.txt", batch.FAILURES} <= names
    assert provenance.read_file(folder / batch.ARCHIVE).config["columns"] == 24, "the zip carries the settings"


def test_a_batch_with_an_unknown_format_or_no_pictures_says_so(tmp_path):
    folder = RunFolder(tmp_path / "run")
    (folder / folder.INPUTS).mkdir(parents=True)
    with pytest.raises(ValueError, match="Unknown format"):
        list(ascii_batch.job({"ascii": {}, "formats": ["gif"]}, folder.path))
    with pytest.raises(ValueError, match="no picture"):
        list(ascii_batch.job({"ascii": {}}, folder.path))


def test_the_ascii_command_takes_folders_zips_and_globs_and_writes_a_sheet_and_a_zip(tmp_path):
    from tests.helpers import run_cli

    folder = tmp_path / "photos"
    folder.mkdir()
    for index in range(2):
        (folder / f"p{index}.png").write_bytes(png(seed=index))
    (folder / "notes.txt").write_text("not a picture: left out of the folder's pictures")
    (folder / "broken.png").write_bytes(b"junk")
    (tmp_path / "more.zip").write_bytes(zipped({"x/z0.png": png(seed=5), "x/readme.md": b"#"}))
    (tmp_path / "g1.png").write_bytes(png(seed=7))
    out = tmp_path / "out"
    pattern = str(tmp_path / "g*.png")
    ran = run_cli("ascii", folder, tmp_path / "more.zip", pattern, "--columns", "20", "--format", "txt,png",
                  "--output-dir", out, "--contact-sheet", "--zip", "all.zip")  # fmt: skip
    assert ran.returncode == 2, ran.stderr  # one picture could not be read: said, and the rest written
    assert "broken.png" in ran.stderr and "not an image" in ran.stderr
    assert {"p0.txt", "p1.png", "z0.txt", "g1.png", "contact-sheet.png", "all.zip"} <= {p.name for p in out.iterdir()}
    with zipfile.ZipFile(out / "all.zip") as archive:
        assert {"p0.png", "z0.txt", "g1.txt", "contact-sheet.png", "failures.json"} <= set(archive.namelist())
        assert [item["name"] for item in json.loads(archive.read("failures.json"))] == ["broken.png"]
    assert provenance.read_file(out / "all.zip").config["columns"] == 20
    empty = tmp_path / "empty"
    empty.mkdir()
    ran = run_cli("ascii", empty, "--columns", "20", "--output-dir", out)
    assert ran.returncode != 0 and "holds no pictures" in ran.stderr
    ran = run_cli("ascii", folder, "--columns", "20", "--output-dir", out, "--contact-sheet")
    assert ran.returncode != 0 and "add png to --format" in ran.stderr


@pytest.mark.slow
def test_the_sketch_command_draws_a_folder_as_one_batch(tmp_path):
    from tests.helpers import run_cli

    folder = tmp_path / "photos"
    folder.mkdir()
    for index in range(2):
        (folder / f"p{index}.png").write_bytes(png((96, 64), seed=index))
    (folder / "broken.jpg").write_bytes(b"junk")
    out = tmp_path / "out"
    ran = run_cli("sketch", folder, "--output-dir", out, "--working-side", "128")
    assert ran.returncode == 2 and "broken.jpg" in ran.stderr, ran.stderr
    assert sorted(path.name for path in out.iterdir()) == ["p0.png", "p1.png"]
    ran = run_cli("sketch", folder, "--output", tmp_path / "one.png")
    assert ran.returncode != 0 and "give --output-dir" in ran.stderr
    for problem in (
        run_cli("sketch", folder / "p0.png"),
        run_cli("sketch", folder, "--output", "a", "--output-dir", "b"),
    ):
        assert problem.returncode != 0 and "one of them" in problem.stderr


@pytest.mark.slow
def test_the_sketch_batch_job_loads_the_model_once_and_lists_a_bad_photo(tmp_path):
    from core.sketch import batch as sketch_batch

    folder = RunFolder(tmp_path / "run")
    (folder / folder.INPUTS).mkdir(parents=True)
    Image.open(io.BytesIO(png((96, 64), seed=1))).save(folder.input(batch.input_name(0)))
    folder.input(batch.input_name(1)).write_bytes(b"broken")
    Image.open(io.BytesIO(png((64, 96), seed=2))).save(folder.input(batch.input_name(2)))
    config = {
        "model": "256",
        "working_side": 128,
        "darkness": 1.2,
        "line_weight": 0,
        "names": ["a.jpg", "b.jpg", "c.jpg"],
    }
    events = list(sketch_batch.job(config, folder.path))
    assert [event.step for event in events] == [0, 1, 2, 3] and events[-1].result is not None
    assert sorted(path.name for path in folder.results.iterdir()) == ["a.png", "c.png"]
    assert [item["name"] for item in batch.failures(folder.path)] == ["b"]
    with zipfile.ZipFile(folder / batch.ARCHIVE) as archive:
        assert {"results/a.png", "results/c.png", batch.FAILURES} <= set(archive.namelist())
