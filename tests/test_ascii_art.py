"""ASCII Art core: features, matching, charsets, fonts, exports and bad input."""

import dataclasses
import io
import os
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import core.ascii as ascii_art
from core import images
from tests.helpers import art_lines, run_cli

REPO = Path(__file__).resolve().parent.parent
FONT = ascii_art.load_font(None)


def glyph_picture(text_rows: list[str], size: int = 40) -> np.ndarray:
    """The given text rendered in our font, one glyph per cell, as an RGB picture."""
    characters = "".join(dict.fromkeys("".join(text_rows)))
    bitmaps, cell_h, cell_w = ascii_art.render_glyphs(FONT, characters, size)
    index = np.array([[characters.index(ch) for ch in row] for row in text_rows])
    ink = bitmaps[index].transpose(0, 2, 1, 3).reshape(len(text_rows) * cell_h, len(text_rows[0]) * cell_w)
    grey = (255 * (1.0 - ink)).astype(np.uint8)
    return np.repeat(grey[:, :, None], 3, axis=2)


def test_glyph_features_are_deterministic_and_distinct():
    first, coverage = ascii_art.glyph_table(FONT, ascii_art.CHARSETS["ascii"])
    ascii_art.glyph_table.cache_clear()
    second, again = ascii_art.glyph_table(FONT, ascii_art.CHARSETS["ascii"])
    np.testing.assert_array_equal(first.tone, second.tone)
    np.testing.assert_array_equal(first.direction, second.direction)
    np.testing.assert_array_equal(coverage, again)
    assert coverage[ascii_art.CHARSETS["ascii"].index(" ")] == 0
    assert coverage.max() == coverage[ascii_art.CHARSETS["ascii"].index("@")] or coverage.max() > 0.2


def test_glyph_samples_are_kept_on_disk_and_read_back_by_a_later_process(tmp_path, monkeypatch, caplog):
    from core.ascii import features, glyph_cache

    monkeypatch.setenv("ATELIER_DATA", str(tmp_path))
    characters, grid = ascii_art.CHARSETS["ascii"], features.cell_grid(FONT)
    drawn, coverage = features.glyph_samples(FONT, characters, grid)
    (kept,) = (tmp_path / "cache" / "ascii-glyphs").glob("*.npz")

    def no_drawing(*_):
        raise AssertionError("the glyphs were drawn again")

    monkeypatch.setattr(features, "render_glyphs", no_drawing)  # a later process: only the disk
    read, read_coverage = features.glyph_samples(FONT, characters, grid)
    np.testing.assert_array_equal(read, drawn)
    np.testing.assert_array_equal(read_coverage, coverage)
    # Another charset or grid is another entry, never the first one's arrays.
    assert glyph_cache.key(FONT.digest, characters[:-1], grid, (10,)) != kept.stem
    assert glyph_cache.key(FONT.digest, characters, (grid[0], grid[1] + 1), (10,)) != glyph_cache.key(
        FONT.digest, characters, grid, (10,)
    )
    # A torn file is said in the log and the glyphs are drawn again, the same as before.
    kept.write_bytes(b"not an npz")
    monkeypatch.undo()
    monkeypatch.setenv("ATELIER_DATA", str(tmp_path))
    again, _ = features.glyph_samples(FONT, characters, grid)
    np.testing.assert_array_equal(again, drawn)
    assert "Could not read the glyph cache" in caplog.text
    assert np.load(kept)["samples"].shape == drawn.shape  # and kept whole again
    # A server that meets many charsets keeps the newest entries only.
    monkeypatch.setattr(glyph_cache, "MAX_ENTRIES", 2)
    os.utime(kept, (1_000, 1_000))  # each entry older than the next, whatever the clock's grain
    for age, characters_used in enumerate((" .:", " .:-", " .:-=")):
        features.glyph_samples(FONT, characters_used, grid)
        name = glyph_cache.key(FONT.digest, characters_used, grid, features.GLYPH_RENDER_SIZES)
        os.utime(kept.parent / f"{name}.npz", (2_000 + age, 2_000 + age))
    assert sorted(path.name for path in kept.parent.glob("*.npz")) == sorted(
        glyph_cache.key(FONT.digest, used, grid, features.GLYPH_RENDER_SIZES) + ".npz" for used in (" .:-", " .:-=")
    )


def test_the_filter_bank_as_a_matrix_equals_filtering_each_cell():
    import cv2

    grid = ascii_art.cell_grid(FONT)
    cell = np.random.default_rng(0).random(grid).astype(np.float32)
    padded = np.pad(cell, 1, mode="edge")
    expected = np.concatenate(
        [cv2.filter2D(padded, cv2.CV_32F, kernel)[1:-1, 1:-1].ravel() for kernel in ascii_art.FILTERS]
    )
    np.testing.assert_allclose(cell.ravel() @ ascii_art.feature_matrix(grid), expected, atol=1e-5)


@pytest.mark.parametrize("glyph", list("/\\|-_OX#@.:=+"))
def test_a_picture_of_one_glyph_converts_back_to_that_glyph(glyph):
    picture = glyph_picture([glyph], size=48)
    result = ascii_art.convert(picture, ascii_art.AsciiConfig(columns=1), FONT)
    assert result.lines == [glyph]


def test_a_row_of_glyphs_converts_back_cell_by_cell():
    text = ["/|\\_-X.@"]
    result = ascii_art.convert(glyph_picture(text, 48), ascii_art.AsciiConfig(columns=8), FONT)
    assert result.lines == text


def test_the_fast_euclidean_search_agrees_with_the_explicit_one():
    import cv2

    source = np.asarray(images.load_sample("Coffee"))
    config = ascii_art.AsciiConfig(columns=60, edge_weight=1.0)
    grid = ascii_art.cell_grid(FONT)
    rows = ascii_art.grid_size(source.shape[1], source.shape[0], 60, FONT)
    grey = cv2.cvtColor(source, cv2.COLOR_RGB2GRAY)
    sampled = cv2.resize(grey, (60 * grid[1], rows * grid[0]), interpolation=cv2.INTER_AREA)
    ink = ascii_art.tone_curve(np.bincount(sampled.ravel(), minlength=256), config, "paper")[sampled]
    cells = ascii_art.cell_pixels(ink, rows, 60, grid)
    glyphs, _ = ascii_art.glyph_table(FONT, config.characters())
    slow = ascii_art.nearest(ascii_art.describe_samples(cells, grid), glyphs, 2.0, 1.0)
    fast = ascii_art.nearest_from_samples(cells, grid, glyphs, 1.0)
    np.testing.assert_array_equal(slow[0], fast[0])
    np.testing.assert_allclose(slow[1], fast[1], atol=1e-3)


def test_p_changes_the_choice_on_a_crafted_case():
    # Cell (0, 0) against glyph A (1, 1) and glyph B (2, 0): under p = 1 A is 2 away and B is
    # 2 away... so tip it: B at (1.9, 0). L1: A 2.0, B 1.9 -> B.  L2: A 1.414, B 1.9 -> A.
    cells = ascii_art.Features(np.zeros((1, 2), np.float32), np.zeros((1, 1), np.float32), np.zeros(1, np.float32))
    glyphs = ascii_art.Features(
        np.array([[1, 1], [1.9, 0]], np.float32), np.zeros((2, 1), np.float32), np.ones(2, np.float32)
    )
    assert ascii_art.nearest(cells, glyphs, 1.0, 1.0)[0][0] == 1
    assert ascii_art.nearest(cells, glyphs, 2.0, 1.0)[0][0] == 0
    assert ascii_art.nearest(cells, glyphs, 8.0, 1.0)[0][0] == 0


def test_p_changes_the_text_of_a_real_picture():
    source = images.load_sample("Rocket")
    texts = {p: ascii_art.convert(source, ascii_art.AsciiConfig(columns=60, p=p), FONT).text for p in (1.0, 2.0, 4.0)}
    assert len(set(texts.values())) == 3


def test_screen_polarity_swaps_dark_and_light_glyphs():
    half = np.full((60, 120, 3), 255, np.uint8)
    half[:, :60] = 0  # black left half, white right half
    normal = ascii_art.convert(half, ascii_art.AsciiConfig(columns=10, charset="ramp", polarity="paper"), FONT)
    inverted = ascii_art.convert(half, ascii_art.AsciiConfig(columns=10, charset="ramp", polarity="screen"), FONT)
    assert normal.lines[0][:3] == "@@@" and normal.lines[0][-3:] == "   "
    assert inverted.lines[0][:3] == "   " and inverted.lines[0][-3:] == "@@@"
    assert ascii_art.render(inverted)[0, 0].tolist() == [0, 0, 0]  # dark paper
    assert ascii_art.render(normal)[0, -1].tolist() == [255, 255, 255]


def test_the_cell_aspect_follows_the_font():
    assert FONT.aspect == pytest.approx((1901 + 483) / 1233, rel=1e-3)  # DejaVu Sans Mono's metrics
    assert ascii_art.grid_size(400, 400, 80, FONT) == round(80 / FONT.aspect)
    tall = ascii_art.Font(FONT.data, "tall", FONT.advance, FONT.height * 2, FONT.ascent, FONT.characters)
    assert ascii_art.grid_size(400, 400, 80, tall) == round(80 / tall.aspect)
    result = ascii_art.convert(np.asarray(images.load_sample("Astronaut")), ascii_art.AsciiConfig(columns=80), FONT)
    rendered = ascii_art.render(result)
    assert abs(rendered.shape[0] / rendered.shape[1] - 1.0) < 0.05  # a square photo stays square


@pytest.mark.parametrize(
    "charset,allowed",
    [
        ("ramp", set(" .:-=+*#%@")),
        ("letters", set(" abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")),
        ("symbols", set(" !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")),
    ],
)
def test_charsets_limit_the_glyphs(charset, allowed):
    result = ascii_art.convert(images.load_sample("Coffee"), ascii_art.AsciiConfig(columns=50, charset=charset), FONT)
    assert set(result.text) - {"\n"} <= allowed


def test_custom_charset_with_include_and_exclude():
    config = ascii_art.AsciiConfig(columns=40, charset="custom", custom_charset=" .oO@", include="#", exclude="O")
    assert config.characters() == " .o@#"
    result = ascii_art.convert(images.load_sample("Coffee"), config, FONT)
    assert set(result.text) - {"\n"} <= set(" .o@#")


def exports():
    result = ascii_art.convert(
        images.load_sample("Coffee"), ascii_art.AsciiConfig(columns=40, colour_mode="colour", font_size=12), FONT
    )
    return result, {format: ascii_art.export(result, format) for format in ascii_art.EXPORT_FORMATS}


def test_every_export_parses_or_opens():
    result, files = exports()
    assert files["txt"].decode().splitlines() == result.lines
    parser = HTMLParser()
    parser.feed(files["html"].decode())
    assert "@font-face" in files["html"].decode() and "<pre" in files["html"].decode()
    svg = ElementTree.fromstring(files["svg"])
    assert svg.tag.endswith("svg") and len(svg.findall("{http://www.w3.org/2000/svg}text")) == result.rows
    png = Image.open(io.BytesIO(files["png"]))
    assert png.size[0] == len(result.lines[0]) * round(FONT.advance * 12)
    ansi = files["ansi"].decode()
    assert ansi.count("\n") == result.rows and "\x1b[38;2;" in ansi
    stripped = __import__("re").sub(r"\x1b\[[0-9;]*m", "", ansi)
    assert stripped.splitlines() == result.lines


def test_the_matcher_beats_the_brightness_ramp_on_ssim_for_every_sample():
    for name in ["Astronaut", "Cat (Chelsea)", "Coffee", "Rocket", "Grace Hopper"]:
        picture = images.fit_within(images.load_sample(name), 512)
        ours = ascii_art.convert(picture, ascii_art.AsciiConfig(columns=100), FONT)
        ramp = ascii_art.convert(picture, ascii_art.AsciiConfig(columns=100, method="ramp"), FONT)
        assert ascii_art.similarity(ours, picture) > ascii_art.similarity(ramp, picture), name


def test_ssim_matches_scikit_image():
    from skimage.metrics import structural_similarity

    rng = np.random.default_rng(3)
    a = (rng.random((64, 80)) * 255).astype(np.uint8)
    b = np.clip(a.astype(int) + rng.integers(-40, 40, a.shape), 0, 255).astype(np.uint8)
    reference = structural_similarity(
        a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255
    )
    assert ascii_art.ssim(a, b) == pytest.approx(reference, abs=0.02)


@pytest.mark.parametrize(
    "config,words",
    [
        (dict(charset="custom", custom_charset=""), "No characters are left"),
        (dict(charset="ramp", exclude=" .:-=+*#%@"), "No characters are left"),
        (dict(p=0), "p must be greater than 0"),
        (dict(p=-1), "p must be greater than 0"),
        (dict(columns=0), "columns must be between"),
        (dict(columns=100_000), "columns must be between"),
        (dict(colour_mode="sepia"), "colour_mode"),
    ],
)
def test_bad_settings_say_why(config, words):
    with pytest.raises(ValueError, match=words):
        ascii_art.convert(images.load_sample("Coffee"), ascii_art.AsciiConfig(**config), FONT)


def test_bad_pictures_say_why():
    with pytest.raises(ValueError, match="RGB or grey"):
        ascii_art.convert(np.zeros((10, 10, 4), np.uint8), ascii_art.AsciiConfig(columns=10), FONT)
    with pytest.raises(ValueError, match="RGB or grey"):
        ascii_art.convert(np.zeros((0, 10), np.uint8), ascii_art.AsciiConfig(columns=10), FONT)
    with pytest.raises(ValueError, match="no frames"):
        ascii_art.convert_frames([], ascii_art.AsciiConfig(columns=10), FONT)


def test_auto_polarity_draws_a_dark_picture_light_on_dark_and_a_bright_one_dark_on_light():
    rng = np.random.default_rng(3)
    night = rng.integers(0, 12, (300, 400), dtype=np.uint8)  # a dark, slightly noisy sky...
    for y, x in rng.integers(20, 280, (12, 2)):
        night[y - 4 : y + 5, x - 4 : x + 5] = 255  # ...with small bright stars
    dark = ascii_art.convert(night, ascii_art.AsciiConfig(columns=60), FONT)
    assert dark.polarity == "screen" and "brightness match" in dark.polarity_reason
    assert dark.drawing == "photo"  # few mid-tones, but a grainy ground, not a drawing's flat fill
    # Drawn light on dark, the sky is mostly blank and the stars are where the ink goes.
    assert (dark.indices == dark.characters.index(" ")).mean() > 0.8
    paper = ascii_art.convert(night, ascii_art.AsciiConfig(columns=60, polarity="paper"), FONT)
    assert (paper.indices == paper.characters.index(" ")).mean() < 0.2  # the wall of ink auto avoids
    assert ascii_art.cell_similarity(dark, night) > ascii_art.cell_similarity(paper, night) + 0.1
    for bright in (255 - night, np.asarray(images.load_sample("Coffee"))):
        assert ascii_art.convert(bright, ascii_art.AsciiConfig(columns=60), FONT).polarity == "paper"
    assert (
        ascii_art.convert(night, ascii_art.AsciiConfig(columns=60, polarity="paper"), FONT).polarity_reason == "as set"
    )


def test_auto_polarity_keeps_a_video_steady_through_near_ties():
    # Grey 85 on average: paper matches its brightness a little better than a screen (a near tie).
    tie = np.clip(np.random.default_rng(0).normal(85, 30, (300, 400)), 0, 255).astype(np.uint8)
    config = ascii_art.AsciiConfig(columns=60)
    assert ascii_art.convert(tie, config, FONT).polarity == "paper"
    # A video already drawn light on dark stays so; one on paper stays on paper.
    assert ascii_art.convert(tie, config, FONT, previous_polarity="screen").polarity == "screen"
    assert ascii_art.convert(tie, config, FONT, previous_polarity="paper").polarity == "paper"
    # A clear lead switches whatever came before.
    night = np.clip(np.random.default_rng(1).normal(20, 8, (300, 400)), 0, 255).astype(np.uint8)
    assert ascii_art.convert(night, config, FONT, previous_polarity="paper").polarity == "screen"
    assert ascii_art.convert(255 - night, config, FONT, previous_polarity="screen").polarity == "paper"
    # A set polarity is never overridden.
    assert (
        ascii_art.convert(
            night, dataclasses.replace(config, polarity="paper"), FONT, previous_polarity="screen"
        ).polarity
        == "paper"
    )


def test_contrast_pivots_about_the_median_so_a_dim_ground_is_kept():
    """A low-key picture (a dim ground, grey 10-30, with bright spots): the S-curve raises contrast
    about its median, so the ground keeps a little light on a screen instead of clipping to black."""
    rng = np.random.default_rng(2)
    sky = np.clip(rng.normal(20, 5, (200, 200)), 0, 255).astype(np.uint8)
    sky[rng.random(sky.shape) < 0.05] = 230  # enough stars to set the white point
    counts = np.bincount(sky.ravel(), minlength=256).astype(np.float64)
    config = ascii_art.AsciiConfig(contrast=1.5)
    curve = ascii_art.tone_curve(counts, config, "screen")
    levelled = ascii_art.tone_curve(counts, dataclasses.replace(config, contrast=1.0), "screen")
    median = int(np.median(sky))
    assert curve[median] == pytest.approx(levelled[median], abs=1e-6) and curve[median] > 0.02
    # ...while contrast still rises about it: darker than the median goes darker, lighter lighter.
    assert curve[median - 6] < levelled[median - 6] and curve[median + 6] > levelled[median + 6]


def test_glyphs_are_measured_at_reading_sizes():
    """At 10-20 px '@' is the darkest glyph of DejaVu Sans Mono (drawn at 64 px it is fifth), so a
    solid black shape on white (a silhouette, a logo) is filled with it, as it looks darkest on a
    screen (measured at 64 px, the fill was 'B')."""
    _, coverage = ascii_art.glyph_table(FONT, ascii_art.CHARSETS["ascii"])
    characters = ascii_art.CHARSETS["ascii"]
    assert characters[int(coverage.argmax())] == "@"
    shape = np.full((160, 160), 255, np.uint8)
    shape[:, :80] = 0
    result = ascii_art.convert(shape, ascii_art.AsciiConfig(columns=10, polarity="paper"), FONT)
    assert result.drawing == "line-art"
    assert {line[:5] for line in result.lines} == {"@@@@@"} and {line[5:] for line in result.lines} == {"     "}


def test_every_export_honours_the_polarity():
    night = np.zeros((120, 160), np.uint8)
    night[40:80, 60:100] = 255
    result = ascii_art.convert(night, ascii_art.AsciiConfig(columns=20), FONT)
    assert result.screen
    assert b"background: #000" in ascii_art.export(result, "html")
    assert b'fill="#000"' in ascii_art.export(result, "svg")
    assert b"\x1b[48;2;0;0;0m" in ascii_art.export(result, "ansi")
    drawn = np.asarray(Image.open(io.BytesIO(ascii_art.export(result, "png"))))
    assert drawn[0, 0].tolist() == [0, 0, 0] and drawn.max() == 255
    assert ascii_art.export(result, "txt").decode().splitlines()[0] == " " * 20  # the dark sky: blank


def test_a_tiny_picture_asked_for_more_columns_is_enlarged_and_says_so():
    icon = np.zeros((16, 16, 3), np.uint8)
    icon[4:12, 4:12] = 255
    result = ascii_art.convert(icon, ascii_art.AsciiConfig(columns=40, polarity="paper"), FONT)
    assert result.indices.shape == (ascii_art.grid_size(16, 16, 40, FONT), 40)
    assert any("enlarged" in note for note in result.notes)
    middle = result.lines[result.rows // 2]
    assert middle[18:22] == "    " and middle[:4] != "    "  # the white square in the middle stays blank
    one_high = ascii_art.convert(np.arange(200, dtype=np.uint8)[None, :], ascii_art.AsciiConfig(columns=50), FONT)
    assert one_high.indices.shape == (1, 50) and one_high.notes


@pytest.mark.parametrize("tone, expect", [(255, "blank"), (0, "blank"), (128, "glyph")])
def test_a_flat_picture_converts_to_its_flat_tone(tone, expect):
    flat = np.full((60, 80, 3), tone, np.uint8)
    result = ascii_art.convert(flat, ascii_art.AsciiConfig(columns=20), FONT)
    assert len(set(result.text.replace("\n", ""))) == 1
    assert any("flat tone" in note for note in result.notes)
    if expect == "blank":  # white on paper and black on a screen are both the empty page
        assert set(result.text.replace("\n", "")) == {" "} and "blank page" in result.notes[-1]
    else:
        assert result.lines[0][0] != " " and "in every cell" in result.notes[-1]


def gif_bytes(frames, durations=None, **options) -> bytes:
    buffer = io.BytesIO()
    pictures = [Image.fromarray(frame) for frame in frames]
    pictures[0].save(
        buffer, format="GIF", save_all=True, append_images=pictures[1:], loop=0, duration=durations or 80, **options
    )
    return buffer.getvalue()


def test_gif_frames_share_one_tone_curve():
    coffee = np.asarray(images.load_sample("Coffee").convert("L").resize((160, 120)))
    # (Pillow's GIF writer merges identical frames, so a still GIF reaches us as frames like these.)
    still = [Image.fromarray(coffee).convert("RGB") for _ in range(4)]
    texts = [result.text for result in ascii_art.convert_frames(still, ascii_art.AsciiConfig(columns=40), FONT)]
    assert len(set(texts)) == 1  # identical frames, identical text: nothing to flicker
    # A bright flash in one corner of the second frame: with one curve for both frames, the rest
    # of the picture keeps its glyphs; levelled frame by frame, the flash re-levels everything.
    flash = coffee.copy()
    flash[:30, :40] = 255
    config = ascii_art.AsciiConfig(columns=40, local_contrast=0)
    shared = ascii_art.convert_frames([coffee, flash], config, FONT)
    apart = [ascii_art.convert(frame, config, FONT) for frame in (coffee, flash)]
    far = (slice(shared[0].rows // 2, None), slice(20, None))
    assert (shared[0].indices[far] == shared[1].indices[far]).all()
    assert (apart[0].indices[far] != apart[1].indices[far]).any()


def test_animation_exports_hold_every_frame():
    frames = [np.full((60, 80), value, np.uint8) for value in (0, 80, 160)]
    for frame in frames:
        frame[20:40, 30:50] = 255 - frame[0, 0]
    results = ascii_art.convert_frames(frames, ascii_art.AsciiConfig(columns=16), FONT)
    gif = Image.open(io.BytesIO(ascii_art.export_frames(results, "gif", [50, 60, 70])))
    assert gif.n_frames == 3
    strip = Image.open(io.BytesIO(ascii_art.export_frames(results, "png")))
    single = Image.open(io.BytesIO(ascii_art.export(results[0], "png")))
    assert strip.size == (single.width, 3 * single.height)
    page = ascii_art.export_frames(results, "html", [50, 60, 70]).decode()
    assert page.count('<pre class="frame"') == 3 and "[50, 60, 70]" in page and "setTimeout" in page
    assert ascii_art.export_frames(results, "txt").decode().count("\f") == 2
    with pytest.raises(ValueError, match="durations"):
        ascii_art.export_frames(results, "gif", [50])


def test_long_animations_and_frames_of_other_sizes_are_handled():
    frames = [np.full((20, 30, 3), index * 6, np.uint8) for index in range(40)]
    kept, durations, notes = images.load_frames(gif_bytes(frames), max_frames=40)
    assert len(kept) == 40 and durations == [80] * 40 and not notes
    kept, durations, notes = images.load_frames(gif_bytes(frames), max_frames=10)
    assert len(kept) == 10 and sum(durations) == 40 * 80 and "one frame in every 4" in notes[0]
    kept, _, notes = images.load_frames(gif_bytes(frames), max_pixels=20 * 30 * 5)
    assert len(kept) <= 5 and notes
    # A GIF whose later frames are smaller patches with their own palettes: whole frames come back.
    canvas = Image.new("RGB", (60, 40), (250, 250, 250))
    patch = Image.new("RGB", (20, 10), (200, 30, 30))
    buffer = io.BytesIO()
    canvas.save(buffer, format="GIF", save_all=True, append_images=[patch.crop((0, 0, 20, 10))], duration=50)
    whole, _, _ = images.load_frames(buffer.getvalue())
    assert all(frame.size == (60, 40) for frame in whole)


def test_a_huge_picture_gives_a_bounded_grid_quickly():
    huge = np.zeros((4000, 6000, 3), np.uint8)
    huge[:, 3000:] = 255
    result = ascii_art.convert(huge, ascii_art.AsciiConfig(columns=120), FONT)
    assert result.indices.shape == (ascii_art.grid_size(6000, 4000, 120, FONT), 120)


def test_fonts_are_checked(tmp_path):
    with pytest.raises(ValueError, match="not a TrueType or OpenType font"):
        ascii_art.load_font(b"this is certainly not a font file")
    import matplotlib

    proportional = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    with pytest.raises(ValueError, match="proportional"):
        ascii_art.load_font(proportional)
    bold = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSansMono-Bold.ttf"
    assert ascii_art.load_font(bold.read_bytes()).name.startswith("DejaVu Sans Mono")


def test_cli_writes_one_file_per_image_and_format_without_torch(tmp_path):
    first, second = tmp_path / "one.png", tmp_path / "two.jpg"
    images.load_sample("Coffee").save(first)
    images.load_sample("Rocket").save(second)
    completed = run_cli(
        "ascii",
        str(first),
        str(second),
        "--columns",
        "50",
        "--format",
        "txt,png,svg,html,ansi",
        "--output-dir",
        str(tmp_path / "out"),
    )
    assert completed.returncode == 0, completed.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        f"{stem}.{format}" for stem in ("one", "two") for format in ("txt", "png", "svg", "html", "ansi")
    )
    assert len(art_lines(tmp_path / "out" / "one.txt")[0]) == 50
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            (
                f"import sys, runpy; sys.argv=['core','ascii',{str(first)!r},'--columns','20','--output-dir',"
                f"{str(tmp_path / 'o2')!r}]\n"
                "try:\n    runpy.run_module('core', run_name='__main__')\nexcept SystemExit:\n    pass\n"
                "print('HEAVY', [m for m in ('torch','tensorflow','scipy') if m in sys.modules])"
            ),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    # SciPy too: the sketch tool's pencil solver came in through the parser and cost 150 ms a run.
    assert "HEAVY []" in probe.stdout, probe.stderr


def test_cli_bad_input_exits_non_zero_with_the_reason(tmp_path):
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"nope")
    completed = run_cli("ascii", str(junk), "--columns", "40", "--output-dir", str(tmp_path))
    assert completed.returncode == 2 and "not an image" in completed.stderr and "Traceback" not in completed.stderr
    good = tmp_path / "good.png"
    images.load_sample("Coffee").save(good)
    for arguments, words in [
        (["--p", "0"], "p must be greater"),
        (["--charset", "custom"], "No characters"),
        (["--format", "pdf"], "Unknown format"),
        (["--font", str(junk)], "not a TrueType"),
    ]:
        completed = run_cli("ascii", str(good), "--columns", "40", "--output-dir", str(tmp_path), *arguments)
        assert completed.returncode == 2 and words in completed.stderr, (arguments, completed.stderr)


def test_cli_batch_keeps_going_past_a_bad_image(tmp_path):
    # Four pictures over two processes: the unreadable one falls in the forked child's half.
    names = []
    for index, sample in enumerate(["Coffee", "Rocket", None, "Astronaut"]):
        path = tmp_path / f"picture{index}.png"
        if sample is None:
            path.write_bytes(b"not a picture")
        else:
            images.load_sample(sample).save(path)
        names.append(str(path))
    completed = run_cli("ascii", *names, "--columns", "30", "--output-dir", str(tmp_path / "out"))
    assert completed.returncode == 2 and "picture2.png" in completed.stderr and "not an image" in completed.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["picture0.txt", "picture1.txt", "picture3.txt"]


def test_line_art_and_photos_are_told_apart():
    assert (
        ascii_art.convert(glyph_picture(["/|\\_-X.@"], 48), ascii_art.AsciiConfig(columns=8), FONT).drawing
        == "line-art"
    )
    photo = images.load_sample("Coffee")
    assert ascii_art.convert(photo, ascii_art.AsciiConfig(columns=40), FONT).drawing == "photo"
    # As few mid-tones as a drawing (5%), but its dark sky is grain: a photo, sampled before matching.
    sky = images.load_sample("Night sky (Hubble)")
    assert ascii_art.convert(sky, ascii_art.AsciiConfig(columns=40), FONT).drawing == "photo"
    forced = ascii_art.convert(
        glyph_picture(["/|\\_-X.@"], 48), ascii_art.AsciiConfig(columns=8, drawing="photo"), FONT
    )
    assert forced.drawing == "photo"


def test_grey_input_gives_the_same_text_as_rgb():
    rgb = np.asarray(images.load_sample("Astronaut"))
    grey = np.asarray(images.load_image(images.to_png_bytes(rgb), grey=True))
    from_rgb = ascii_art.convert(rgb, ascii_art.AsciiConfig(columns=60), FONT)
    from_grey = ascii_art.convert(grey, ascii_art.AsciiConfig(columns=60), FONT)
    assert from_rgb.lines == from_grey.lines
    assert from_grey.colours.shape == from_rgb.colours.shape
    assert (from_grey.colours[..., 0] == from_grey.colours[..., 2]).all()  # grey cells


def test_auto_levels_recover_a_washed_out_photo():
    import cv2

    grey = cv2.cvtColor(np.asarray(images.load_sample("Cat (Chelsea)")), cv2.COLOR_RGB2GRAY)
    washed = (150 + grey.astype(np.float32) * 0.3).astype(np.uint8)  # grey levels 150-226 only
    plain = dict(columns=60, local_contrast=0.0)
    levelled = ascii_art.convert(washed, ascii_art.AsciiConfig(**plain), FONT)
    flat = ascii_art.convert(washed, ascii_art.AsciiConfig(**plain, auto_levels=False), FONT)
    reference = ascii_art.convert(grey, ascii_art.AsciiConfig(**plain), FONT)
    assert ascii_art.cell_similarity(levelled, grey) > ascii_art.cell_similarity(flat, grey) + 0.05
    assert np.mean(levelled.indices == reference.indices) > 0.8


def test_font_tables_read_without_fonttools_match_fonttools():
    from fontTools.ttLib import TTFont

    reference = TTFont(io.BytesIO(FONT.data), fontNumber=0, lazy=True)
    assert FONT.characters == frozenset(chr(code) for code in reference.getBestCmap())
    units = reference["head"].unitsPerEm
    assert FONT.advance == pytest.approx(reference["hmtx"]["A"][0] / units)
    assert FONT.height == pytest.approx((reference["hhea"].ascent - reference["hhea"].descent) / units)


def test_a_photo_decoded_at_half_size_is_not_called_enlarged(tmp_path):
    # The command line decodes a big JPEG at a fraction of its size when that still gives 3 pixels
    # per 4 sample columns; the note about enlarging speaks of the file, which was big enough.
    path = tmp_path / "big.jpg"
    images.load_sample("Coffee").resize((1024, 768)).save(path, quality=90)
    decoded = images.load_image(path, draft_size=(480, 1), grey=True)
    assert decoded.size == (512, 384) and decoded.info["full_size"] == (1024, 768)
    result = ascii_art.convert(decoded, ascii_art.AsciiConfig(columns=160), FONT)
    assert not any("enlarged" in note for note in result.notes), result.notes
    small = images.load_image(path, grey=True).resize((300, 225))
    assert any("The picture is 300x225 pixels" in note for note in ascii_art.convert(small, result.config, FONT).notes)


def test_cli_says_when_it_cannot_write_and_keeps_going(tmp_path):
    first, second = tmp_path / "first.png", tmp_path / "second.png"
    images.load_sample("Coffee").save(first)
    images.load_sample("Rocket").save(second)
    (tmp_path / "out" / "first.txt").mkdir(parents=True)  # a folder where the text should go
    completed = run_cli("ascii", str(first), str(second), "--columns", "30", "--output-dir", str(tmp_path / "out"))
    assert completed.returncode == 2 and "could not write" in completed.stderr and "Traceback" not in completed.stderr
    assert (tmp_path / "out" / "second.txt").is_file()


def test_cli_converts_small_flat_and_animated_pictures(tmp_path):
    tiny, flat, animated = tmp_path / "tiny.png", tmp_path / "flat.png", tmp_path / "moving.gif"
    Image.fromarray((np.arange(40 * 30) % 251).astype(np.uint8).reshape(30, 40)).save(tiny)
    Image.new("RGB", (64, 48), (40, 40, 40)).save(flat)
    frames = [np.roll(np.tile(np.arange(80, dtype=np.uint8) * 3, (60, 1)), shift, axis=1) for shift in (0, 20, 40)]
    animated.write_bytes(gif_bytes(frames, [40, 50, 60]))
    completed = run_cli("ascii", str(tiny), str(flat), "--columns", "100", "--output-dir", str(tmp_path / "still"))
    assert completed.returncode == 0, completed.stderr
    assert "tiny.png: The picture is 40x30 pixels" in completed.stderr and "enlarged" in completed.stderr
    assert "flat.png" in completed.stderr and "flat tone" in completed.stderr
    assert len(art_lines(tmp_path / "still" / "tiny.txt")[0]) == 100
    completed = run_cli(
        "ascii",
        str(animated),
        "--columns",
        "30",
        "--frames",
        "all",
        "--format",
        "gif,html,txt,svg",
        "--polarity",
        "screen",
        "--output-dir",
        str(tmp_path / "all"),
    )
    assert completed.returncode == 0, completed.stderr
    assert Image.open(tmp_path / "all" / "moving.gif").n_frames == 3
    assert (tmp_path / "all" / "moving.html").read_text().count('<pre class="frame"') == 3
    assert "svg holds the first frame only" in completed.stderr
    completed = run_cli("ascii", str(animated), "--columns", "30", "--output-dir", str(tmp_path / "first"))
    assert completed.returncode == 0 and "\f" not in (tmp_path / "first" / "moving.txt").read_text()
    completed = run_cli(
        "ascii",
        str(animated),
        "--columns",
        "30",
        "--invert",
        "--polarity",
        "paper",
        "--output-dir",
        str(tmp_path / "x"),
    )
    assert completed.returncode == 2 and "--invert" in completed.stderr
