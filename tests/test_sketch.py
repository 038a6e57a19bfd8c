"""Photo to Sketch: filters, the slow pencil drawing, pairs, the zip checker, the Keras models
(U-Net and plain), the perceptual loss, training, service, CLI.

Models here are the real architecture on tiny pictures (32-64 px), a few seeded steps.
TensorFlow loads in this process; conftest imports triton first, which keeps it from
crashing beside torch.
"""

import io
import json
import math
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core import sketch
from core.sketch import pencil, photos
from tests.helpers import run_cli


class Lazy:
    """A module imported on first use. The Keras parts of core.sketch must not load while pytest
    collects: that would put TensorFlow (and KERAS_BACKEND) into the process before the tests
    that check the server never imports it, and into the environment of every child they start."""

    def __init__(self, name: str):
        self.name = name

    def __getattr__(self, attribute: str):
        if attribute.startswith(("_", "pytest")):  # pytest inspects module attributes while collecting
            raise AttributeError(attribute)
        import importlib

        return getattr(importlib.import_module(self.name), attribute)


inference, training = Lazy("core.sketch.inference"), Lazy("core.sketch.training")
perceptual, sketch_model = Lazy("core.sketch.perceptual"), Lazy("core.sketch.model")

REPO = Path(__file__).resolve().parent.parent


def png(array: np.ndarray, format: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format=format)
    return buffer.getvalue()


def photo(seed: int, size: int = 64) -> np.ndarray:
    """A random photo-like picture: a few soft-edged coloured rectangles on a gradient."""
    rng = np.random.default_rng(seed)
    picture = np.linspace(60, 200, size, dtype=np.float32)[None, :, None].repeat(size, 0).repeat(3, 2)
    for _ in range(4):
        top, left = rng.integers(0, size - 8, 2)
        picture[top : top + rng.integers(6, size // 2), left : left + rng.integers(6, size // 2)] = rng.integers(
            0, 255, 3
        )
    return picture.astype(np.uint8)


def make_zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def tiny_pairs(count: int = 8, size: int = 32, validation: int = 4, invert_validation: bool = False) -> sketch.Pairs:
    photos = np.stack([photo(seed, size) for seed in range(count + validation)])
    sketches = np.stack([sketch.dodge_and_burn(picture) for picture in photos])
    validation_sketches = 255 - sketches[count:] if invert_validation else sketches[count:]
    return sketch.Pairs(
        photos[:count],
        sketches[:count],
        photos[count:],
        validation_sketches,
        ["train"] * count,
        ["validation"] * validation,
    )


# --- filters and adjustments -------------------------------------------------------------------


def test_dodge_and_burn_is_white_on_flat_areas_and_dark_at_edges():
    picture = np.full((64, 64, 3), 180, np.uint8)
    picture[:, 32:] = 30
    drawn = sketch.dodge_and_burn(picture)
    assert drawn.shape == (64, 64) and drawn.dtype == np.uint8
    assert drawn[:, :8].min() >= 250 and drawn[:, 56:].min() >= 250  # flat on both sides: paper
    assert drawn[:, 32].max() < 200  # the dark side of the edge gets pencil


def test_xdog_and_opencv_pencil_give_grey_pictures_of_the_photo_size():
    picture = photo(1, 48)
    for drawn in (sketch.xdog(picture), sketch.opencv_pencil(picture), sketch.pencil_filter(picture, "xdog")):
        assert drawn.shape == (48, 48) and drawn.dtype == np.uint8
    with pytest.raises(ValueError, match="Unknown sketch style"):
        sketch.pencil_filter(picture, "charcoal")


def test_darkness_and_line_weight_act_in_the_right_direction():
    drawn = np.full((32, 32), 200, np.uint8)
    drawn[16, :] = 0  # one dark line
    assert sketch.adjust(drawn, darkness=2.0).mean() < drawn.mean() < sketch.adjust(drawn, darkness=0.5).mean()
    thick, thin = sketch.adjust(drawn, line_weight=2), sketch.adjust(drawn, line_weight=-1)
    assert (thick < 100).sum() == 5 * 32  # the line is now 5 px wide
    assert (thin < 100).sum() == 0  # a 1 px line thinned away
    assert np.array_equal(sketch.adjust(drawn), drawn)
    with pytest.raises(ValueError):
        sketch.adjust(drawn, darkness=0)


@pytest.mark.parametrize(
    "settings",
    [
        {"size": 300},
        {"epochs": 0},
        {"learning_rate": 0},
        {"patience": 0},
        {"validation_split": 0.9},
        {"style": "charcoal"},
        {"pairs": 1},
        {"architecture": "gan"},
        {"width": 2},
        {"depth": 9},
        {"perceptual": -1},
    ],
)
def test_config_refuses_bad_settings(settings):
    with pytest.raises(ValueError):
        sketch.SketchConfig(**settings)


# --- data ----------------------------------------------------------------------------------------


def test_builtin_pairs_hold_out_whole_photos_and_draw_the_slow_pencil_targets():
    pairs = sketch.builtin_pairs(sketch.SketchConfig(pairs=40))
    assert pairs.train_photos.shape[1:] == (256, 256, 3) and pairs.train_sketches.shape[1:] == (256, 256)
    assert len(pairs.train_photos) + len(pairs.validation_photos) == 40
    assert pairs.validation_sources and not set(pairs.sources) & set(pairs.validation_sources)
    assert len(pairs.sources) + len(pairs.validation_sources) >= 30  # scikit-image, matplotlib, opencv-doc at least
    portraits = {f"{source}:{name}" for source, name in photos.PORTRAITS}
    assert portraits & set(pairs.sources) and portraits & set(pairs.validation_sources)  # a face is never trained on
    redrawn = pencil.draw(pairs.validation_photos[0])[0]
    assert np.array_equal(redrawn, pairs.validation_sketches[0])  # the target is the slow method, at training size
    assert pairs.augmented  # flipped and rotated before drawing: the hatching keeps the method's direction


def test_builtin_photos_put_portraits_first_and_leave_no_drawings_in():
    found = photos.builtin_photos()
    names = [photo.name for photo in found]
    assert [photo.portrait for photo in found[:4]] == [True] * 4 and not any(photo.portrait for photo in found[4:])
    assert len(set(names)) == len(names) and all(max(photo.pixels.shape[:2]) <= photos.LONGEST_SIDE for photo in found)
    assert all(photo.pixels.dtype == np.uint8 and photo.pixels.shape[2] == 3 for photo in found)
    assert not any(name.endswith(("Canopee", "Altai", "SafeLanding")) for name in names)  # drawn wallpapers
    crops = sketch.pairs._crops(
        [found[0].pixels, found[4].pixels], 30, 64, np.random.default_rng(0), weights=[2.0, 1.0]
    )
    assert crops.shape == (30, 64, 64, 3)


def test_augmentation_moves_photo_and_sketch_together():
    photos = np.stack([photo(seed) for seed in range(6)])
    sketches = np.stack([sketch.grey(picture) for picture in photos])  # a "sketch" we can recompute
    augmented_photos, augmented_sketches = sketch.augment(photos, sketches, np.random.default_rng(0), True, 20.0)
    assert not np.array_equal(augmented_photos, photos)
    for augmented_photo, augmented_sketch in zip(augmented_photos, augmented_sketches):
        assert np.abs(sketch.grey(augmented_photo).astype(int) - augmented_sketch).max() <= 2


def test_augmentation_preview_shows_each_pair_and_three_versions():
    pairs = tiny_pairs(size=32)
    picture = sketch.augmentation_preview(pairs, sketch.SketchConfig(), count=3, thumbnail=32)
    assert picture.shape == (3 * 32, 8 * 32, 3)


GOOD_PAIRS = {f"photos/p{index}.jpg": png(photo(index), "JPEG") for index in range(5)} | {
    f"sketches/p{index}.png": png(sketch.dodge_and_burn(photo(index))) for index in range(5)
}


def test_zip_checker_accepts_good_pairs_and_reads_them():
    report, pairs = sketch.check_pairs_zip(make_zip(GOOD_PAIRS))
    assert report.usable and report.pairs == 5 and len(pairs) == 5
    name, picture, drawn = pairs[0]
    assert name == "p0" and picture.shape == (64, 64, 3) and drawn.shape == (64, 64)
    assert report.photo_folder == "photos/" and "5 matching pairs" in report.lines()[0]


def test_zip_checker_finds_a_and_b_inside_one_folder_and_reports_strays():
    members = {f"set/A/{name.split('/')[1]}": data for name, data in GOOD_PAIRS.items() if name.startswith("photos")}
    members |= {f"set/B/{name.split('/')[1]}": data for name, data in GOOD_PAIRS.items() if name.startswith("sketches")}
    members |= {
        "set/A/extra.png": png(photo(9)),
        "set/B/lonely.png": png(photo(8)),
        "set/readme.txt": b"hi",
        "set/A/broken.png": b"not a png",
        "set/B/broken.png": png(photo(7)),
        "__MACOSX/._x": b"",
    }
    report, pairs = sketch.check_pairs_zip(make_zip(members))
    assert report.photo_folder == "set/A/" and report.sketch_folder == "set/B/"
    assert report.pairs == 5 and report.usable
    assert report.unmatched_photos == ["set/A/extra.png"] and report.unmatched_sketches == ["set/B/lonely.png"]
    assert any("broken.png" in line for line in report.unreadable)
    assert "set/readme.txt" in report.ignored
    text = " ".join(report.lines())
    assert "photos without a sketch" in text and "unreadable" in text


def test_zip_checker_resizes_same_shape_sketches_and_skips_other_shapes_and_modes_mix():
    members = dict(GOOD_PAIRS)
    members["sketches/p0.png"] = png(sketch.dodge_and_burn(photo(0))[::2, ::2])  # half size: resized
    members["sketches/p1.png"] = png(sketch.dodge_and_burn(photo(1))[:40])  # other shape: skipped
    rgba = np.dstack([photo(2), np.full((64, 64), 128, np.uint8)])
    members["photos/p2.jpg"] = b""
    members["photos/p2.png"] = png(rgba)  # RGBA photo, and p2.jpg is an empty file
    report, pairs = sketch.check_pairs_zip(make_zip(members))
    assert len(report.size_mismatches) == 1 and "p1" in report.size_mismatches[0]
    by_name = {name: (picture, drawn) for name, picture, drawn in pairs}
    assert by_name["p0"][1].shape == (64, 64) and "p1" not in by_name
    assert by_name["p2"][0].shape == (64, 64, 3)


@pytest.mark.parametrize(
    "members, message",
    [
        ({"photos/a.png": png(photo(0)), "sketches/b.png": png(photo(1))}, "No usable pairs"),
        ({"photos/a.png": png(photo(0)), "sketches/a.png": png(photo(1))}, "Only 1 usable pair"),
        ({"a.png": png(photo(0)), "b.png": png(photo(1))}, "two folders"),
        ({"pictures/a.png": png(photo(0))}, "two folders"),
    ],
)
def test_zip_checker_explains_zips_it_cannot_train_on(members, message):
    report, pairs = sketch.check_pairs_zip(make_zip(members))
    assert not report.usable and message in " ".join(report.problems)
    with pytest.raises(ValueError, match=message):
        sketch.zip_pairs(make_zip(members), sketch.SketchConfig())


@pytest.mark.parametrize("name", ["../evil.png", "photos/../../evil.png", "/etc/evil.png", "C:/evil.png"])
def test_zip_checker_refuses_unsafe_paths(name):
    members = dict(GOOD_PAIRS)
    members[name] = png(photo(0))
    with pytest.raises(ValueError, match="unsafe path"):
        sketch.check_pairs_zip(make_zip(members))


def test_zip_checker_refuses_a_file_that_is_not_a_zip():
    with pytest.raises(ValueError, match="not a zip"):
        sketch.check_pairs_zip(b"PK but not really")


def test_uploaded_pairs_are_split_by_pair_then_cropped():
    members = {f"photos/p{index}.png": png(photo(index)) for index in range(8)}
    members |= {f"sketches/p{index}.png": png(sketch.dodge_and_burn(photo(index))) for index in range(8)}
    pairs, report = sketch.zip_pairs(make_zip(members), sketch.SketchConfig(pairs=20, validation_split=0.25))
    assert report.pairs == 8
    assert len(pairs.validation_sources) == 2 and not set(pairs.sources) & set(pairs.validation_sources)
    assert len(pairs.train_photos) + len(pairs.validation_photos) == 20
    assert pairs.train_photos.shape[1:] == (256, 256, 3)


def test_importing_the_module_loads_no_tensorflow():
    code = "import sys, core.sketch; print('tensorflow' in sys.modules or 'keras' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


# --- the model -----------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [256, 512])
@pytest.mark.parametrize("architecture", ["unet", "plain"])
def test_model_shapes_and_explicit_layer_names(size, architecture):
    width, depth = (16, 4) if architecture == "unet" else (64, 3)  # the shipped U-Net; the design's autoencoder
    model = sketch_model.build_model(size, architecture, width, depth)
    output = np.asarray(model(sketch_model.model_input(np.zeros((1, size, size, 3), np.uint8)), training=False))
    assert output.shape == (1, size, size, 1) and output.min() > 0.0 and output.max() < 1.0
    assert model.name == f"sketch_{architecture}_{size}" and sketch_model.model_size(model) == size
    assert sketch_model.model_multiple(model) == 2**depth
    kinds = [type(layer).__name__ for layer in model.layers]
    if architecture == "plain":
        assert kinds.count("Conv2D") == 3 and kinds.count("Conv2DTranspose") == 3 and "Concatenate" not in kinds
        assert kinds.count("BatchNormalization") == 5 and kinds.count("LeakyReLU") == 5
    else:  # a skip from each encoder level, and the photo itself at the end
        assert kinds.count("Conv2D") == depth + 1 and kinds.count("Conv2DTranspose") == depth
        assert kinds.count("Concatenate") == depth
        assert model.get_layer("context_pool").output.shape[1:3] == (1, 1)  # the whole picture, whatever its size
        assert model.input_shape[-1] == 5  # RGB, the equalised luminance, the paper
        skip = model.get_layer("skip1")  # the first level's features join the decoder at half size
        assert skip.output.shape[-1] == 2 * width
    for layer in model.layers:  # Keras' default names (conv2d_3, ...) would clash after clear_session
        assert layer.name.startswith(("photo", "scale_to_unit", "down", "up", "skip", "out", "context")), layer.name
    assert model.layers[-1].activation.__name__ == "sigmoid"


def test_the_perceptual_loss_is_zero_for_identical_drawings_and_grows_with_distortion():
    drawings = np.stack([pencil.draw(photo(seed, 128))[0] for seed in range(2)])[..., None].astype(np.float32) / 255
    loss = perceptual.PerceptualLoss(weight=1.0, window=64)
    distance = lambda other: float(np.mean(np.asarray(loss.feature_distance(drawings, other))))  # noqa: E731
    assert distance(drawings) == 0.0
    noise = np.random.default_rng(0).normal(size=drawings.shape).astype(np.float32)
    distances = [distance(np.clip(drawings + amount * noise, 0, 1)) for amount in (0.02, 0.1, 0.3)]
    assert 0 < distances[0] < distances[1] < distances[2], distances
    blurred = np.stack([cv2_blur(drawing[..., 0])[..., None] for drawing in drawings])
    assert distance(blurred) > 0.2 * distances[1]  # blur is what MAE forgives and features do not
    assert float(np.mean(np.asarray(loss(drawings, drawings)))) == 0.0


def test_the_input_channels_are_the_photo_its_brightness_rank_and_the_methods_paper():
    dark, bright = photo(1) // 4, np.clip(photo(1).astype(int) * 2, 0, 255).astype(np.uint8)
    inputs = sketch_model.model_input(np.stack([dark, bright]))
    assert inputs.shape == (2, 64, 64, 5) and inputs.dtype == np.float32
    assert np.allclose(inputs[1, ..., 4], pencil.pencil_texture(64, 64, seed=0) * 255)  # the sheet the method shades
    assert np.array_equal(inputs[..., :3], np.stack([dark, bright]).astype(np.float32))
    assert inputs[..., 3].max() == 255.0  # the brightest pixel of each photo, whatever its level
    order = np.argsort(inputs[0, ..., 3].ravel(), kind="stable")  # a rank: same order as the luminance
    assert np.all(np.diff(np.asarray(Image.fromarray(dark).convert("L"), int).ravel()[order]) >= -1)
    assert sketch_model.model_input(dark[None], channels=3).shape == (1, 64, 64, 3)  # older models
    assert np.array_equal(sketch_model.model_input(dark[None], channels=4), inputs[:1, ..., :4])


def test_the_vgg19_reader_needs_no_torch_and_gives_the_convolutions():
    kernels = perceptual.vgg19_kernels("block2_conv2")
    assert list(kernels) == ["block1_conv1", "block1_conv2", "block2_conv1", "block2_conv2"]
    assert kernels["block1_conv1"][0].shape == (3, 3, 3, 64) and kernels["block2_conv2"][0].shape == (3, 3, 128, 128)
    assert all(np.isfinite(kernel).all() and kernel.std() > 0 for kernel, _ in kernels.values())
    with pytest.raises(ValueError, match="no layer"):
        perceptual.vgg19_kernels("block9_conv1")


def cv2_blur(picture: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.GaussianBlur(picture, (0, 0), 2.0)


def test_any_photo_size_is_sketched_whole_or_in_tiles():
    model = sketch_model.build_model(256)
    picture = photo(3, 100)[:, :70]
    whole = inference.sketch_photo(model, picture, working_side=100)
    assert whole.shape == (100, 70) and whole.dtype == np.uint8
    tiled = inference.sketch_photo(model, picture, working_side=100, tile=48)
    assert tiled.shape == (100, 70)
    assert np.abs(tiled.astype(int) - whole).mean() < 12  # same network; only the tile borders differ


@pytest.mark.parametrize("suffix", [".keras", ".weights.h5"])
def test_save_and_load_round_trip_gives_identical_outputs(tmp_path, suffix):
    model = sketch_model.build_model(256)
    model.set_weights([weight + np.float32(0.01) for weight in model.get_weights()])  # not the initial weights
    path = sketch_model.save_model(model, tmp_path / f"model{suffix}")
    loaded = sketch_model.load_model(path)
    batch = sketch_model.model_input(np.stack([photo(4), photo(5)]))
    assert np.array_equal(np.asarray(model(batch, training=False)), np.asarray(loaded(batch, training=False)))
    assert not list(tmp_path.glob(".partial-*"))


def test_loading_refuses_corrupt_and_foreign_files(tmp_path):
    import keras

    (tmp_path / "junk.keras").write_text("junk")
    with pytest.raises(ValueError, match="not a model this app can load"):
        sketch_model.load_model(tmp_path / "junk.keras")
    with pytest.raises(ValueError, match=r"\.keras or \.weights\.h5"):
        sketch_model.load_model(__file__)
    inputs = keras.Input((None, None, 3), name="foreign_input")
    foreign = keras.Model(inputs, keras.layers.Conv2D(3, 1, name="foreign_conv")(inputs), name="foreign")
    foreign.save(tmp_path / "foreign.keras")
    with pytest.raises(ValueError, match="not a photo-to-sketch one"):
        sketch_model.load_model(tmp_path / "foreign.keras")


# --- training ------------------------------------------------------------------------------------


def untrained_validation_mae(config: sketch.SketchConfig, pairs: sketch.Pairs) -> float:
    import keras

    keras.utils.set_random_seed(config.seed)  # as train() does, so this is the model it starts from
    model = sketch_model.build_model(config.size, config.architecture, config.width, config.depth)
    return float(np.mean(np.abs(inference.predict(model, pairs.validation_photos) - pairs.validation_sketches / 255.0)))


@pytest.mark.parametrize("architecture, perceptual_weight", [("unet", 0.0), ("plain", 0.0), ("unet", 1.0)])
def test_one_epoch_on_sixteen_tiny_pairs_emits_events_and_lowers_the_loss(tmp_path, architecture, perceptual_weight):
    pairs = tiny_pairs(count=16)
    config = sketch.SketchConfig(
        epochs=1,
        batch_size=2,
        learning_rate=1e-2,
        rotate=0.0,
        seed=1,
        architecture=architecture,
        depth=3,
        perceptual=perceptual_weight,
    )
    before = untrained_validation_mae(config, pairs)
    events = list(training.train(config, tmp_path / "model.keras", pairs))
    epoch_events = [event for event in events if "train_mae" in event.metrics]
    assert len(epoch_events) == 1 and epoch_events[0].preview.shape == (3 * 160, 3 * 160, 3)
    final = events[-1]
    assert final.metrics["best_val_mae"] < 0.9 * before, (final.metrics, before)
    assert {"best_val_ssim", "best_val_psnr", "mean_sketch_mae", "white_page_mae", "best_epoch"} <= set(final.metrics)
    assert final.result is not None and (tmp_path / "model.keras").exists()
    assert sketch_model.load_model(tmp_path / "model.keras").name == f"sketch_{architecture}_256"


def test_early_stopping_keeps_the_best_epoch(tmp_path):
    # Validation targets are the opposite of the training ones: the better the model learns,
    # the worse validation gets, so early stopping must fire and the best epoch must be kept.
    pairs = tiny_pairs(count=16, invert_validation=True)
    config = sketch.SketchConfig(epochs=12, batch_size=4, learning_rate=3e-3, patience=2, rotate=0.0, seed=2)
    events = list(training.train(config, tmp_path / "model.keras", pairs))
    per_epoch = [event.metrics["val_mae"] for event in events if "train_mae" in event.metrics]
    final = events[-1]
    assert len(per_epoch) < config.epochs, "early stopping should have ended training"
    best_epoch = int(np.argmin(per_epoch)) + 1
    assert final.metrics["best_epoch"] == best_epoch and len(per_epoch) == best_epoch + config.patience
    assert math.isclose(final.metrics["best_val_mae"], min(per_epoch), abs_tol=2e-3)  # the kept weights are the best
    saved = sketch_model.load_model(tmp_path / "model.keras")
    kept = float(np.mean(np.abs(inference.predict(saved, pairs.validation_photos) - pairs.validation_sketches / 255.0)))
    assert math.isclose(kept, min(per_epoch), abs_tol=2e-3)
    assert "Stopped early" in final.message


@pytest.mark.slow
def test_stopping_mid_training_returns_quickly_and_keeps_the_best_weights(tmp_path):
    config = sketch.SketchConfig(epochs=50, batch_size=2, rotate=0.0)
    events = training.train(config, tmp_path / "model.keras", tiny_pairs(count=8))
    for event in events:
        if "train_mae" in event.metrics:
            break
    started = time.monotonic()
    events.close()
    assert time.monotonic() - started < 10
    assert sketch_model.load_model(tmp_path / "model.keras") is not None


def test_a_diverging_loss_stops_with_a_clear_message(tmp_path):
    pairs = tiny_pairs(count=8)
    pairs.train_photos = pairs.train_photos.astype(np.float32)
    pairs.train_photos[3, 5, 5, 0] = np.nan  # a NaN reaches the loss in the first epoch
    with pytest.raises(ValueError, match="lower learning rate"):
        list(training.train(sketch.SketchConfig(epochs=3, batch_size=8, rotate=0.0), tmp_path / "m.keras", pairs))


@pytest.mark.slow
def test_a_training_job_through_the_job_runner(tmp_path):
    from core import jobs

    members = {f"photos/p{index}.png": png(photo(index)) for index in range(6)}
    members |= {f"sketches/p{index}.png": png(sketch.dodge_and_burn(photo(index))) for index in range(6)}
    (tmp_path / "pairs.zip").write_bytes(make_zip(members))
    manager = jobs.JobManager(tmp_path / "runs")
    try:
        config = {"data": str(tmp_path / "pairs.zip"), "pairs": 8, "epochs": 1, "batch_size": 4, "rotate": 0.0}
        job_id = manager.submit("sketch", "core.sketch:job", config)
        snapshot = manager.wait(job_id, timeout=180)
    finally:
        manager.close(stop_jobs=True)
    assert snapshot.status == "finished", snapshot.error
    run_dir = tmp_path / "runs" / job_id
    assert (run_dir / "model.keras").exists() and (run_dir / "result.png").exists()
    assert "best_val_ssim" in snapshot.card["final_metrics"]


# --- the service and the command line ------------------------------------------------------------


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory):
    return sketch_model.save_model(sketch_model.build_model(256), tmp_path_factory.mktemp("model") / "tiny.keras")


@pytest.mark.slow
def test_the_sketch_service_answers_survives_errors_and_restarts(saved_model):
    service = sketch.SketchService(timeout=120)
    try:
        answer = service.sketch(photo(6, 80), saved_model, working_side=80)
        assert answer["sketch"].shape == (80, 80) and answer["seconds"] > 0
        with pytest.raises(ValueError, match="No model file"):
            service.sketch(photo(6), "/nonexistent/model.keras")
        service._process.kill()  # a crash: the next request starts a new child
        service._process.wait()
        assert service.sketch(photo(7, 40), saved_model, working_side=40)["sketch"].shape == (40, 40)
    finally:
        service.close()


@pytest.mark.slow
def test_cli_sketch_and_train(tmp_path, saved_model):
    # `sketch` and `sketch-train` run in this process (TensorFlow is loaded here already: a child
    # would load it again, seconds each); `sketch-eval` below, and test_batch's `sketch` over a
    # folder, run as `python -m core` children.
    from core import cli

    (tmp_path / "photo.png").write_bytes(png(photo(8, 120)))
    arguments = ["sketch", str(tmp_path / "photo.png"), "--output", str(tmp_path / "out.png")]
    assert cli.main([*arguments, "--model", str(saved_model), "--line-weight", "1"]) == 0
    assert Image.open(tmp_path / "out.png").size == (256, 256)
    members = {f"photos/p{index}.png": png(photo(index)) for index in range(6)}
    members |= {f"sketches/p{index}.png": png(sketch.dodge_and_burn(photo(index))) for index in range(6)}
    (tmp_path / "pairs.zip").write_bytes(make_zip(members))
    arguments = ["sketch-train", "--data", str(tmp_path / "pairs.zip"), "--size", "256", "--epochs", "1"]
    arguments += ["--pairs", "8", "--batch-size", "4", "--output-weights", str(tmp_path / "trained.weights.h5")]
    assert cli.main([*arguments, "--metrics-json", str(tmp_path / "metrics.json")]) == 0
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["final"]["best_val_mae"] > 0 and len(metrics["epochs"]) == 2  # the epoch, then the final scores
    assert (tmp_path / "trained.weights.h5").exists()
    # The table and --metrics-json from one run (each command loads TensorFlow: seconds); --json is
    # the same report, printed (test_sketch_eval_json_is_the_metrics_file below).
    result = run_cli(
        "sketch-eval", "--model", str(saved_model), "--pairs", "8", "--speed-sides", "128",
        "--metrics-json", str(tmp_path / "eval.json"),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    scores = json.loads((tmp_path / "eval.json").read_text())
    assert scores["validation_pairs"] == 2 and 0 < scores["mae"] < 1 and scores["white_page_mae"] > 0
    assert 0 < scores["mean_sketch_ssim"] < 1 and scores["white_page_psnr"] > 0
    assert [speed["side"] for speed in scores["speed"]] == [128]
    assert "blank page" in result.stdout and "x faster" in result.stdout
    assert "at 128x128 px (median of 2 pictures): model" in result.stdout


def test_sketch_eval_json_is_the_metrics_file(tmp_path, saved_model, capsys):
    # In this process (TensorFlow is loaded here already by the tests above): --json prints the
    # report that --metrics-json writes.
    from core import cli

    arguments = ["sketch-eval", "--model", str(saved_model), "--pairs", "8", "--speed-sides", ""]
    assert cli.main([*arguments, "--json", "--metrics-json", str(tmp_path / "eval.json")]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads((tmp_path / "eval.json").read_text())
    assert printed["validation_pairs"] == 2 and printed["speed"] == [] and printed["validation_sources"]


def test_cli_pencil_draws_and_says_when_it_caps_the_size_first(tmp_path):
    (tmp_path / "wide.png").write_bytes(png(np.repeat(photo(9, 100), 20, axis=1)[:, :2000]))
    result = run_cli("pencil", str(tmp_path / "wide.png"), "--output", str(tmp_path / "drawn.png"))
    assert result.returncode == 0, result.stderr
    assert "over the slow method's 1600 px cap" in result.stderr.splitlines()[0]  # before it starts
    assert Image.open(tmp_path / "drawn.png").size == (1600, 80) and "texture" in result.stderr


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["pencil", "missing.png", "--output", "x.png"], "No image file"),
        (["sketch", "missing.png", "--output", "x.png", "--model", "256"], "No image file"),
        (["sketch", __file__, "--output", "x.png", "--model", "256"], "not an image"),
        (["sketch-train", "--data", "missing.zip", "--epochs", "1", "--output-weights", "x.keras"], "No zip of pairs"),
        (["sketch-train", "--epochs", "1", "--output-weights", "x.pt"], ".keras or .weights.h5"),
        (["sketch-train", "--epochs", "0", "--output-weights", "x.keras"], "epochs must be"),
    ],
)
def test_cli_bad_input_exits_2_with_the_reason(arguments, message, tmp_path):
    result = run_cli(*arguments, timeout=120)
    assert result.returncode == 2 and message in result.stderr, result.stderr


def test_the_slow_pencil_drawing_lays_strokes_along_edges_and_matches_its_tone():
    picture = np.zeros((120, 120), np.float32)
    picture[:, 60:] = 1.0  # one vertical edge
    strokes = pencil.stroke_map(picture, length=15)
    dark = strokes < 0.9
    rows, columns = np.nonzero(dark)
    assert dark.any() and np.ptp(rows) > 100 and np.ptp(columns) <= 8  # a tall, thin vertical stroke
    assert strokes[:, :40].min() > 0.99 and strokes[:, 80:].min() > 0.99  # nothing away from the edge
    ramp = np.tile(np.linspace(0, 1, 256, dtype=np.float32), (64, 1))
    toned = pencil.tone_map(ramp)
    found = np.bincount((toned * 255).round().astype(int).ravel(), minlength=256) / toned.size
    target = pencil.pencil_histogram()
    assert np.abs(np.cumsum(found) - np.cumsum(target)).max() < 0.08  # the CDFs agree (Kolmogorov distance)
    photo = (np.random.default_rng(0).random((70, 90, 3)) * 255).astype(np.uint8)
    drawing, times, note = pencil.draw(photo)
    assert drawing.shape == (70, 90) and drawing.dtype == np.uint8 and times.total > 0 and note == ""
    big = np.zeros((1700, 40, 3), np.uint8)
    assert "instead of 40x1700" in pencil.draw(big)[2]
