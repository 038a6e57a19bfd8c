"""GAN Studio core: shapes, a couple of training steps, checkpoints and resume, the idx reader."""

import gzip
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from core import gan

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("size,channels", [(32, 1), (64, 3)])
def test_shapes_for_both_sizes(size, channels):
    config = gan.GanConfig(size=size, channels=channels, ngf=8, ndf=8, latent=16)
    generator, discriminator = gan.build_generator(config), gan.build_discriminator(config)
    fake = generator(torch.randn(5, 16, 1, 1))
    assert fake.shape == (5, channels, size, size) and fake.min() >= -1 and fake.max() <= 1
    assert discriminator(fake).shape == (5, 1)
    weights = [m.weight for m in generator.modules() if isinstance(m, torch.nn.ConvTranspose2d)]
    assert all(abs(float(w.detach().std()) - 0.02) < 0.006 for w in weights)  # N(0, 0.02)


def random_folder(folder: Path, count: int, size=40) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for index in range(count):
        Image.fromarray(rng.integers(0, 255, (size, size + 6, 3), np.uint8)).save(folder / f"p{index}.png")
    (folder / "broken.png").write_bytes(b"not a picture")
    return folder


def small_config(folder, **changes):
    settings = dict(dataset=str(folder), size=16, channels=3, ngf=8, ndf=8, latent=8, batch_size=8, epochs=1, grid=4)
    return gan.GanConfig(**{**settings, **changes})


def test_two_training_steps_emit_the_expected_metrics(tmp_path):
    events = list(gan.train(small_config(random_folder(tmp_path / "pics", 16))))
    assert [event.step for event in events] == [1, 2]
    assert {"g_loss", "d_loss", "d_x", "d_g_z"} <= set(events[0].metrics)
    assert 0 < events[0].metrics["d_x"] < 1 and 0 < events[0].metrics["d_g_z"] < 1
    assert events[0].preview is not None and events[-1].preview is not None  # at once, and at the epoch end
    assert "(1 unreadable files skipped)" in events[-1].message


def test_wallpaper_packages_count_once_and_crops_multiply_small_folders(tmp_path):
    rng = np.random.default_rng(1)
    for name in ("Blue", "Red"):  # KDE's layout: one picture at several resolutions, and a screenshot
        for size in ((64, 48), (128, 96), (256, 192)):
            folder = tmp_path / name / "contents" / "images"
            folder.mkdir(parents=True, exist_ok=True)
            Image.fromarray(rng.integers(0, 255, (size[1], size[0], 3), np.uint8)).save(
                folder / f"{size[0]}x{size[1]}.png"
            )
        Image.fromarray(rng.integers(0, 255, (20, 20, 3), np.uint8)).save(
            tmp_path / name / "contents" / "screenshot.png"
        )
    Image.fromarray(rng.integers(0, 255, (50, 70, 3), np.uint8)).save(tmp_path / "loose.png")
    pictures, skipped = gan.picture_folder(tmp_path, small_config(tmp_path))
    assert len(pictures) == 3 and skipped == 0  # Blue, Red (largest file each) and loose.png
    pictures, _ = gan.picture_folder(tmp_path, small_config(tmp_path, crops=5))
    assert pictures.shape == (15, 18, 18, 3)  # 16 px pictures are stored at 1.125x for random crops
    assert len({picture.tobytes() for picture in pictures}) == 15


def test_fid_at_chosen_epochs_during_training(tmp_path):
    config = small_config(random_folder(tmp_path / "pics", 16), epochs=3, fid_every=2, fid_count=50)
    events = list(gan.train(config))
    with_fid = [event.step for event in events if "fid" in event.metrics]
    assert with_fid == [4, 6]  # after epoch 2 and after the last epoch (2 steps per epoch)
    assert all(event.metrics["fid"] > 0 for event in events if "fid" in event.metrics)
    with pytest.raises(ValueError, match="fid_count"):
        small_config(tmp_path, fid_every=1, fid_count=10)


def test_checkpoint_round_trip_and_resume_continue_the_count(tmp_path):
    folder = random_folder(tmp_path / "pics", 16)
    checkpoint = tmp_path / "gan.pt"
    first = list(gan.train(small_config(folder, epochs=1), checkpoint))
    saved = gan.load_checkpoint(checkpoint)
    assert saved["step"] == 2 and saved["epoch"] == 1
    generator, config = gan.load_generator(checkpoint)
    assert config.size == 16 and config.channels == 3
    grid_a = gan.make_grid(gan.sample(generator, config, 4, seed=5))
    grid_b = gan.make_grid(gan.sample(gan.load_generator(checkpoint)[0], config, 4, seed=5))
    np.testing.assert_array_equal(grid_a, grid_b)
    resumed = list(gan.train(small_config(folder, epochs=2, resume=str(checkpoint)), checkpoint))
    assert [event.step for event in resumed] == [3, 4] and resumed[0].total == 4
    assert gan.load_checkpoint(checkpoint)["step"] == 4
    assert first[-1].step == 2
    small = tmp_path / "shipped.pt"
    gan.export_generator(checkpoint, small)
    assert small.stat().st_size < checkpoint.stat().st_size / 3
    exported, _ = gan.load_generator(small)
    grid_c = gan.make_grid(gan.sample(exported, config, 4, seed=5))
    assert (
        np.abs(
            grid_c.astype(int) - gan.make_grid(gan.sample(gan.load_generator(checkpoint)[0], config, 4, seed=5))
        ).max()
        <= 3
    )
    with pytest.raises(ValueError, match="holds only a generator"):
        list(gan.train(small_config(folder, epochs=3, resume=str(small))))


def test_bad_checkpoints_say_why(tmp_path):
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"certainly not a checkpoint")
    with pytest.raises(ValueError, match="not a GAN Studio checkpoint"):
        gan.load_generator(junk)
    folder = random_folder(tmp_path / "pics", 16)
    checkpoint = tmp_path / "gan.pt"
    list(gan.train(small_config(folder), checkpoint))
    with pytest.raises(ValueError, match="another model"):
        list(gan.train(small_config(folder, ngf=16, resume=str(checkpoint))))


def test_too_few_pictures_and_no_pictures_say_what_is_needed(tmp_path):
    with pytest.raises(ValueError, match="fewer than one batch of 8.*DiffAugment"):
        list(gan.train(small_config(random_folder(tmp_path / "few", 5))))
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("no pictures here")
    with pytest.raises(ValueError, match="No pictures found"):
        list(gan.train(small_config(tmp_path / "empty")))


def zip_of(folder: Path, target: Path) -> Path:
    import zipfile

    with zipfile.ZipFile(target, "w") as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, f"set/{path.name}")
    return target


def test_a_zip_the_job_would_refuse_is_refused_by_the_pages_check_in_the_same_words(tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    for index in range(3):
        (broken / f"p{index}.png").write_bytes(f"not a picture at all ({index})".encode())
    unpacked = tmp_path / "unpacked"
    gan.extract_pictures_zip(zip_of(broken, tmp_path / "broken.zip").read_bytes(), unpacked)  # names look right
    config = small_config(unpacked)
    with pytest.raises(ValueError) as in_page:
        gan.picture_set(unpacked, config)
    with pytest.raises(ValueError) as in_job:
        list(gan.train(config))
    assert (
        str(in_page.value)
        == str(in_job.value)
        == ("None of the pictures could be read: the files are damaged or not pictures (3 tried).")
    )
    assert str(tmp_path) not in str(in_job.value)
    good = random_folder(tmp_path / "good", 5)
    with pytest.raises(ValueError, match="fewer than one batch of 8"):
        gan.picture_set(good, config)
    assert gan.picture_set(good, small_config(good, batch_size=4)) == (5, ["1 unreadable file(s) skipped"])


def test_a_run_stopped_mid_epoch_leaves_a_checkpoint_that_resumes_and_samples(tmp_path):
    folder = random_folder(tmp_path / "pics", 32)  # 4 iterations an epoch at batch 8
    checkpoint = tmp_path / "gan.pt"
    events = gan.train(small_config(folder, epochs=2), checkpoint)
    assert [next(events).step for _ in range(3)] == [1, 2, 3]
    assert not checkpoint.exists()  # no epoch has ended yet
    events.close()  # what the worker does on Stop
    saved = gan.load_checkpoint(checkpoint)
    assert (saved["step"], saved["epoch"], saved["epoch_iterations"]) == (3, 0, 3)
    generator, config = gan.load_generator(checkpoint)
    assert gan.sample(generator, config, 4, seed=1).shape == (4, 3, 16, 16)
    resumed = list(gan.train(small_config(folder, epochs=2, resume=str(checkpoint)), checkpoint))
    assert [event.step for event in resumed] == [4, 5, 6, 7, 8]  # the rest of epoch 1, then epoch 2
    assert gan.load_checkpoint(checkpoint)["epoch"] == 2


@pytest.mark.slow
def test_cli_trains_on_a_zip_of_pictures(tmp_path):
    archive = zip_of(random_folder(tmp_path / "pics", 16), tmp_path / "pictures.zip")
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "core",
            "gan-train",
            "--dataset",
            str(archive),
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
            "--output",
            str(tmp_path / "g.pt"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    assert (tmp_path / "g.pt").exists()
    missing = subprocess.run(
        [
            sys.executable,
            "-m",
            "core",
            "gan-train",
            "--dataset",
            str(tmp_path / "nope.zip"),
            "--epochs",
            "1",
            "--output",
            str(tmp_path / "x.pt"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert missing.returncode == 2 and "'nope.zip' was not found" in missing.stderr


def write_idx(path: Path, array: np.ndarray, compress: bool) -> None:
    header = struct.pack(">BBBB", 0, 0, 8, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    data = header + array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(data) if compress else data)


def test_the_idx_reader_on_files_the_test_writes(tmp_path):
    pictures = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    write_idx(tmp_path / "p.idx.gz", pictures, True)
    write_idx(tmp_path / "p.idx", pictures, False)
    np.testing.assert_array_equal(gan.read_idx(tmp_path / "p.idx.gz"), pictures)
    np.testing.assert_array_equal(gan.read_idx(tmp_path / "p.idx"), pictures)
    (tmp_path / "short.idx").write_bytes((tmp_path / "p.idx").read_bytes()[:-5])
    with pytest.raises(ValueError, match="truncated"):
        gan.read_idx(tmp_path / "short.idx")
    (tmp_path / "text.idx").write_bytes(b"hello world")
    with pytest.raises(ValueError, match="not an unsigned-byte IDX"):
        gan.read_idx(tmp_path / "text.idx")


def test_fashion_mnist_loads_with_a_class_filter():
    pictures = gan.fashion_mnist(gan.GanConfig(classes=(7,)))  # sneakers
    assert pictures.shape == (6000, 28, 28)


def test_slerp_keeps_the_ends_and_the_norm():
    a, b = torch.randn(100), torch.randn(100)
    torch.testing.assert_close(gan.slerp(a, b, 0.0), a)
    torch.testing.assert_close(gan.slerp(a, b, 1.0), b, atol=1e-5, rtol=1e-5)
    middle = gan.slerp(a, b, 0.5)
    assert abs(float(middle.norm()) - (float(a.norm()) + float(b.norm())) / 2) < 0.2 * float(a.norm())


@pytest.mark.slow
def test_cli_trains_and_samples(tmp_path):
    folder = random_folder(tmp_path / "pics", 16)
    checkpoint = tmp_path / "g.pt"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "core",
            "gan-train",
            "--dataset",
            str(folder),
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
            "--output",
            str(checkpoint),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    grid = tmp_path / "grid.png"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "core",
            "gan-sample",
            "--weights",
            str(checkpoint),
            "-n",
            "9",
            "--seed",
            "2",
            "--output",
            str(grid),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    assert Image.open(grid).size == (3 * 18 + 2, 3 * 18 + 2)
    completed = subprocess.run(
        [sys.executable, "-m", "core", "gan-sample", "--weights", str(grid), "--output", str(tmp_path / "x.png")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 2 and "not a GAN Studio checkpoint" in completed.stderr


@pytest.mark.slow
def test_fid_of_a_set_against_itself_is_about_zero_and_grows_with_noise():
    rng = np.random.default_rng(0)
    pictures = gan.fashion_mnist(gan.GanConfig())[rng.permutation(60000)[:120]]
    tensor = torch.from_numpy(np.array(pictures)).float().div(127.5).sub(1).unsqueeze(1)
    base = gan.vgg_features(tensor)
    assert abs(gan.frechet_distance(base, base)) < 1e-3 * float(np.trace(np.cov(base, rowvar=False)))
    scores = [
        gan.frechet_distance(base, gan.vgg_features((tensor + noise * torch.randn_like(tensor)).clamp(-1, 1)))
        for noise in (0.1, 0.4)
    ]
    assert 0 < scores[0] < scores[1]


def test_memorisation_check_finds_a_copied_training_picture():
    pictures = gan.fashion_mnist(gan.GanConfig())[:500]
    copies = torch.from_numpy(np.array(pictures[[7, 42]])).float().div(127.5).sub(1).unsqueeze(1)
    nearest = gan.nearest_training(copies, pictures, count=2)
    assert nearest[:, 0].tolist() == [7, 42]


def test_the_abstract_art_set_is_readable_distinct_and_renders_the_vector_designs():
    from core import assets, images

    training = gan.distinct_pictures(assets.abstract_art_files())
    held_out = gan.distinct_pictures(assets.abstract_art_files(held_out=True))
    pictures = sorted(training + held_out)
    assert len(pictures) >= 60  # the 30 of before, propaganda-debian, ukui, lomiri and the GNOME SVGs
    # Whole pictures are held out for evaluation, every colouring of a design with it.
    assert len(held_out) == len(assets.ABSTRACT_HELD_OUT) and not set(training) & set(held_out)
    assert {assets.abstract_picture_name(path) for path in held_out} == set(assets.ABSTRACT_HELD_OUT)
    assert not {assets.abstract_picture_name(path).rsplit("-", 1)[0] for path in training} & {
        name.rsplit("-", 1)[0] for name in ("truchet-d", "dune-l")
    }
    digests = [__import__("hashlib").sha256(path.read_bytes()).hexdigest() for path in pictures]
    assert len(set(digests)) == len(digests)  # no byte-identical pair (propaganda ships one tile twice)
    assert sum(path.name.startswith("Demonsashimi") for path in pictures) == 1
    rendered = [path for path in pictures if path.parent.name == "rendered-wallpapers"]
    assert {path.stem.rsplit("-", 1)[0] for path in rendered} == set(assets.ABSTRACT_GNOME_SVG)
    for path in pictures:
        picture = images.load_image(path, min_side=8, draft_size=(256, 256))
        assert min(picture.size) >= 256
    assert not any(name in str(path) for path in pictures for name in ("calla", "goldfish", "desktop-base", "xfce"))
