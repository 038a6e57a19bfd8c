"""GAN Studio by class and as a film: conditional models, class folders and zips, previews from
the first iterations, the progress GIF, and the garment classifier's metrics."""

import dataclasses
import io
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from core import gan
from core.gan import classifier, evaluation

REPO = Path(__file__).resolve().parent.parent


def class_folder(root: Path, counts: dict[str, int], size: int = 24) -> Path:
    rng = np.random.default_rng(1)
    for shade, (name, count) in enumerate(counts.items()):
        (root / name).mkdir(parents=True, exist_ok=True)
        for index in range(count):
            base = np.full((size, size, 3), 60 + 80 * shade, np.uint8)
            Image.fromarray(np.clip(base + rng.integers(0, 30, base.shape), 0, 255).astype(np.uint8)).save(
                root / name / f"{index}.png"
            )
    return root


@pytest.mark.parametrize("channels", [1, 3])
def test_conditional_shapes_and_the_class_alone_changes_the_sample(channels):
    config = gan.GanConfig(conditional=True, channels=channels, ngf=8, ndf=8, latent=16, class_names=("a", "b", "c"))
    generator, discriminator = gan.build_generator(config).eval(), gan.build_discriminator(config)
    torch.manual_seed(0)
    with torch.no_grad():
        for module in generator.modules():  # a trained generator's classes differ; a fresh one's barely do
            if isinstance(module, torch.nn.Embedding):
                module.weight.mul_(10)
    first = gan.sample(generator, config, 4, seed=7, wanted="a")
    again = gan.sample(generator, config, 4, seed=7, wanted="a")
    other = gan.sample(generator, config, 4, seed=7, wanted=1)
    assert first.shape == (4, channels, 32, 32)
    assert torch.equal(first, again) and (first - other).abs().mean() > 0.1 * first.abs().mean()
    assert discriminator(first, torch.tensor([0, 1, 2, 0])).shape == (4, 1)
    rows, columns = gan.class_rows(generator, config, per_class=2, seed=3)
    assert rows.shape[0] == 6 and columns == 2
    with pytest.raises(ValueError, match="no class 'd'.*a, b, c"):
        gan.sample(generator, config, 2, seed=0, wanted="d")
    plain = gan.GanConfig(ngf=8, ndf=8, latent=16)
    with pytest.raises(ValueError, match="without classes"):
        gan.sample(gan.build_generator(plain), plain, 2, seed=0, wanted=0)


def test_previews_arrive_before_the_first_epoch_ends_and_the_film_has_one_frame_per_preview(tmp_path):
    folder = class_folder(tmp_path / "pictures", {"dark": 20, "light": 20})
    config = gan.GanConfig(
        dataset=str(folder),
        conditional=True,
        size=16,
        channels=3,
        ngf=8,
        ndf=8,
        latent=8,
        batch_size=8,
        epochs=1,
        grid=4,
        preview_every=2,
    )
    events = list(gan.job(dataclasses.asdict(config), tmp_path))
    previews = [event.step for event in events if event.preview is not None]
    assert previews[:3] == [1, 2, 4] and previews[-1] == events[-1].step
    assert previews[0] < events[-1].step  # before the epoch's end
    film = Image.open(tmp_path / "progress.gif")
    assert film.n_frames == len(previews)
    assert "2 classes (dark, light)" in events[-1].message
    checkpoint = gan.load_checkpoint(tmp_path / "checkpoint.pt")
    assert list(checkpoint["config"]["class_names"]) == ["dark", "light"]
    generator, loaded = gan.load_generator(tmp_path / "checkpoint.pt")
    assert loaded.conditional and gan.sample(generator, loaded, 2, seed=1, wanted="light").shape == (2, 3, 16, 16)


def test_a_film_that_would_pass_its_limit_is_thinned_not_cut(tmp_path):
    film = gan.ProgressFilm(tmp_path / "film.gif", max_bytes=60_000, rewrite_seconds=0)
    rng = np.random.default_rng(0)
    for step in range(1, 41):
        film.add(rng.integers(0, 255, (64, 64, 3), np.uint8), step)
    film.finish()
    assert (tmp_path / "film.gif").stat().st_size <= 60_000
    assert film.thinned >= 1 and film.steps[0] == 1 and film.steps[-1] == 40
    assert Image.open(tmp_path / "film.gif").n_frames == len(film.frames) < 40


def test_class_folders_with_too_few_pictures_are_refused_and_unbalanced_ones_noted(tmp_path):
    config = gan.GanConfig(size=16, channels=3, conditional=True)
    with pytest.raises(ValueError, match="'lonely' has 1 readable"):
        gan.class_folders(class_folder(tmp_path / "a", {"many": 5, "lonely": 1}), config)
    with pytest.raises(ValueError, match="at least two classes"):
        gan.class_folders(class_folder(tmp_path / "b", {"only": 5}) / "only", config)
    pictures, labels, names, notes = gan.class_folders(class_folder(tmp_path / "c", {"big": 12, "small": 3}), config)
    assert names == ("big", "small") and np.bincount(labels).tolist() == [12, 3]
    assert any("unbalanced" in note for note in notes)


def test_a_zip_of_class_folders_unpacks_by_class_and_unsafe_zips_are_refused(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in ("wrapper/shoes/a.png", "wrapper/shoes/b.png", "wrapper/hats/c.png", "wrapper/.hidden.png"):
            picture = io.BytesIO()
            Image.new("RGB", (8, 8), "red").save(picture, format="PNG")
            archive.writestr(name, picture.getvalue())
    written = gan.extract_pictures_zip(buffer.getvalue(), tmp_path / "out", keep_classes=True)
    assert written == 3 and sorted(p.name for p in (tmp_path / "out").iterdir()) == ["hats", "shoes"]
    bad = io.BytesIO()
    with zipfile.ZipFile(bad, "w") as archive:
        archive.writestr("../escape.png", b"x")
    with pytest.raises(ValueError, match="unsafe path"):
        gan.extract_pictures_zip(bad.getvalue(), tmp_path / "bad")


def test_a_conditional_checkpoint_is_not_resumed_as_unconditional(tmp_path):
    folder = class_folder(tmp_path / "pictures", {"x": 8, "y": 8})
    settings = dict(dataset=str(folder), size=16, channels=3, ngf=8, ndf=8, latent=8, batch_size=8, epochs=1, grid=4)
    list(gan.train(gan.GanConfig(conditional=True, **settings), tmp_path / "c.pt"))
    with pytest.raises(ValueError, match="class-conditional"):
        list(gan.train(gan.GanConfig(resume=str(tmp_path / "c.pt"), **{**settings, "epochs": 2})))


@pytest.fixture(scope="module")
def garment_model():
    try:
        return classifier.load()
    except ValueError:
        pytest.fail(
            "weights/garment-classifier.pt is missing: "
            "python -m core gan-classifier --output weights/garment-classifier.pt"
        )


def test_the_garment_distance_is_near_its_floor_for_real_pictures_and_far_for_noise(garment_model):
    model, info = garment_model
    assert info["test_accuracy"] > 0.88
    reference = evaluation.garment_reference(model, count=500)
    real, _ = classifier.fashion_split("train")
    real = real[torch.randperm(len(real), generator=torch.Generator().manual_seed(5))[:500]]
    real_features, _ = classifier.features(model, real)
    noise_features, _ = classifier.features(model, torch.rand(500, 1, 32, 32) * 2 - 1)
    near = evaluation.frechet_distance(real_features, reference["test"])
    far = evaluation.frechet_distance(noise_features, reference["test"])
    assert near < 2 * reference["floor"] and far > 20 * reference["floor"], (near, far, reference["floor"])


def test_the_shipped_generators_metrics_come_out(garment_model):
    model, _ = garment_model
    generator, config = gan.load_generator(REPO / "weights" / "gan-fashion-mnist.pt")
    reference = evaluation.garment_reference(model, count=300)
    found = evaluation.garment_metrics(generator, config, model, reference, count=300)
    assert found["garment_distance"] > 0 and 0 <= found["coverage_min"] <= 0.1 <= found["coverage_max"] <= 1
    assert "agreement" not in found


@pytest.mark.slow
def test_cli_samples_a_chosen_class_and_writes_a_progress_gif(tmp_path):
    folder = class_folder(tmp_path / "pictures", {"dark": 16, "light": 16})
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "core",
            "gan-train",
            "--dataset",
            str(folder),
            "--conditional",
            "--epochs",
            "1",
            "--size",
            "16",
            "--ngf",
            "8",
            "--ndf",
            "8",
            "--batch-size",
            "8",
            "--preview-every",
            "1",
            "--output",
            str(tmp_path / "c.pt"),
            "--progress-gif",
            str(tmp_path / "film.gif"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    assert Image.open(tmp_path / "film.gif").n_frames == 4  # a preview at each of the 4 iterations
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "core",
            "gan-sample",
            "--weights",
            str(tmp_path / "c.pt"),
            "-n",
            "4",
            "--class",
            "light",
            "--output",
            str(tmp_path / "light.png"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0 and (tmp_path / "light.png").exists(), completed.stderr
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "core",
            "gan-sample",
            "--weights",
            str(tmp_path / "c.pt"),
            "--class",
            "purple",
            "--output",
            str(tmp_path / "x.png"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 2 and "no class 'purple'" in completed.stderr


def test_agreement_by_class_comes_with_the_classifiers_own_accuracy_on_real_garments(garment_model):
    """gan-eval prints each class's agreement beside the classifier's accuracy on real pictures of
    that class: Shirt, which it confuses most on real pictures, cannot be judged by one bar."""
    model, _ = garment_model
    generator, config = gan.load_generator(REPO / "weights" / "gan-fashion-mnist-conditional.pt")
    reference = evaluation.garment_reference(model, count=300)
    found = evaluation.garment_metrics(generator, config, model, reference, count=1000, by_class=True)
    ceiling = classifier.accuracy_by_class(model, gan.FASHION_CLASSES)
    assert list(found["agreement_by_class"]) == list(gan.FASHION_CLASSES) == list(ceiling)
    assert found["agreement"] == pytest.approx(np.mean(list(found["agreement_by_class"].values())), abs=1e-3)
    assert min(ceiling.values()) > 0.6 and ceiling["Shirt"] == min(ceiling.values())  # the hardest class
    assert min(found["agreement_by_class"].values()) > 0.5  # every class drawn recognisably
