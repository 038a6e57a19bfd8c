"""The GPU path in one run: every tool's GPU work, timed and checked, for a lent GPU machine.

    python bench/gpu.py OUT_DIR            # about five minutes on one H200
    python bench/gpu.py OUT_DIR --quick    # the same code at toy sizes, on any CPU, in well under a minute

One process tree, one table. It times
- Style Transfer: 512 px for 300 L-BFGS steps and 1024 / 2048 px for 50 steps, each in float32
  and in bfloat16 on the same pictures (seconds, steps per second, peak GPU memory);
- GAN Studio: one Fashion-MNIST DCGAN epoch at widths 32 and 64 (pictures per second);
- Photo to Sketch through Keras on its torch backend (the backend the app picks on CUDA):
  inference at 256 / 512 / 1024 px and one training epoch;
- VGG-FID of the shipped Fashion-MNIST generator over 2,000 pictures.
and checks each result is sane: finite losses, a stylised picture that differs from the photo,
a GAN grid and a sketch that are not flat, and no TensorFlow in the process. It prints the
table, writes ``results.json``, the table as ``table.txt`` and four result pictures to OUT_DIR
(six files in all: the device brings back at most eight), and exits 1 if a check failed.
A check that cannot run here (no CUDA for peak memory, no Fashion-MNIST) is reported as
skipped with the reason; nothing here needs TensorFlow, Streamlit or the project's pinned
versions (the versions found are printed, with a warning where they differ from the pins).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import tempfile
import time
import traceback
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")  # before anything imports Keras: no TensorFlow here
if "--quick" in sys.argv:
    os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")  # the CPU rehearsal, before torch looks for a GPU

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

from core import device, gan, images, sketch, style  # noqa: E402

FULL = {
    "style": [(512, 300), (1024, 50), (2048, 50)],  # (size, L-BFGS steps)
    "gan_widths": [32, 64],
    "gan_limit": 0,  # 0 = the whole 60,000-picture training set
    "sketch_sizes": [256, 512, 1024],
    "sketch_pairs": 320,
    "sketch_batch": 16,
    "fid_count": 2000,
}
QUICK = {
    "style": [(64, 10), (96, 4)],
    "gan_widths": [8, 16],
    "gan_limit": 128,
    "sketch_sizes": [64, 128],
    "sketch_pairs": 8,
    "sketch_batch": 4,
    "fid_count": 32,
}


class Bench:
    def __init__(self, out: Path, where: torch.device):
        self.out, self.where, self.rows, self.failed = out, where, [], False

    def run(self, name: str, function, *arguments) -> None:
        """One check: its row(s) go in the table whatever happens; an exception is a failed row."""
        started = time.perf_counter()
        try:
            for row in function(*arguments):
                self.add(name, **row)
        except SkipCheck as reason:
            self.add(name, status="skipped", note=str(reason))
        except Exception as error:  # noqa: BLE001 (reported in the table, the run goes on)
            self.add(
                name,
                status="FAILED",
                note=f"{type(error).__name__}: {error}"[:160],
                seconds=time.perf_counter() - started,
            )
            traceback.print_exc()

    def add(self, name: str, status: str = "ok", **values) -> None:
        if status == "FAILED":
            self.failed = True
        self.rows.append({"check": name, "status": status, **values})

    def peak_reset(self) -> None:
        if self.where.type == "cuda":
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()

    def peak_gb(self) -> float | None:
        if self.where.type != "cuda":
            return None
        torch.cuda.synchronize()
        return round(torch.cuda.max_memory_allocated() / 2**30, 2)

    def sync(self) -> None:
        if self.where.type == "cuda":
            torch.cuda.synchronize()


class SkipCheck(Exception):
    pass


def sane(condition: bool, what: str) -> None:
    if not condition:
        raise AssertionError(f"sanity check failed: {what}")


def style_checks(bench: Bench, sizes) -> list[dict]:
    content, painting = (
        images.load_sample("Cat (Chelsea)"),
        images.load_sample("Starry Night") if images.sample_available("Starry Night") else images.load_sample("Coffee"),
    )
    rows = []
    for size, steps in sizes:
        for precision in ("float32", "bfloat16"):
            config = style.StyleConfig(size=size, steps=steps, precision=precision, preview_every=10**6, seed=0)
            bench.peak_reset()
            started = time.perf_counter()
            last = None
            for event in style.stylise(content, [painting], config):
                last = event if event.result is not None or last is None else last
                sane(
                    all(math.isfinite(value) for value in event.metrics.values()), f"finite losses at step {event.step}"
                )
            bench.sync()
            seconds = time.perf_counter() - started
            result = np.asarray(last.result, np.float32)
            photo = np.asarray(content.resize((result.shape[1], result.shape[0])), np.float32)
            difference = float(np.abs(result - photo).mean())
            sane(difference > 1.0, f"the stylised picture differs from the photo (mean |diff| {difference:.1f})")
            if (size, precision) in ((sizes[0][0], "float32"), (sizes[-1][0], "bfloat16")):  # few files come back
                Image.fromarray(np.asarray(last.result)).save(bench.out / f"style-{size}-{precision}.png")
            rows.append(
                {
                    "case": f"{size} px x {steps} L-BFGS, {precision}",
                    "seconds": seconds,
                    "rate": f"{steps / seconds:.1f} steps/s",
                    "peak_gb": bench.peak_gb(),
                    "note": f"mean |result - photo| {difference:.1f}",
                }
            )
    return rows


def gan_checks(bench: Bench, widths, limit: int) -> list[dict]:
    rows = []
    for width in widths:
        config = gan.GanConfig(epochs=1, ngf=width, ndf=width, limit=limit, seed=0, grid=64)
        try:
            events = gan.train(config)
            bench.peak_reset()
            started = time.perf_counter()
            last = None
            for event in events:
                sane(all(math.isfinite(value) for value in event.metrics.values()), "finite GAN losses")
                last = event
        except ValueError as error:
            if "Fashion-MNIST" in str(error):
                raise SkipCheck(str(error)) from None
            raise
        bench.sync()
        seconds = time.perf_counter() - started
        grid = np.asarray(last.result)
        sane(grid.std() > 5, f"the grid is not flat (std {grid.std():.1f})")
        if width == widths[-1]:
            Image.fromarray(grid).save(bench.out / f"gan-width{width}.png")
        pictures = limit or last.total * config.batch_size
        rows.append(
            {
                "case": f"one epoch, width {width}{'' if not limit else f' ({limit} pictures)'}",
                "seconds": seconds,
                "rate": f"{pictures / seconds:.0f} pictures/s",
                "peak_gb": bench.peak_gb(),
                "note": f"final D loss {last.metrics.get('d_loss', float('nan')):.3f}",
            }
        )
    return rows


def sketch_checks(bench: Bench, sizes, pairs: int, batch: int) -> list[dict]:
    from core.sketch import inference, training
    from core.sketch import model as sketch_model
    from core.sketch.backend import import_keras

    keras = import_keras()
    model = sketch_model.load_model(sketch.shipped_model_path(256))
    rows = []
    photo = np.asarray(images.load_sample("Grace Hopper"))
    for size in sizes:
        square = np.ascontiguousarray(np.asarray(Image.fromarray(photo).resize((size, size))))[None]
        inference.predict(model, square)  # warm-up: first call builds the kernels
        bench.peak_reset()
        started = time.perf_counter()
        repeats = 5
        for _ in range(repeats):
            drawn = inference.predict(model, square)
        bench.sync()
        seconds = (time.perf_counter() - started) / repeats
        sane(np.isfinite(drawn).all() and drawn.std() > 0.01, "the sketch is finite and not flat")
        if size == sizes[-1]:
            Image.fromarray((np.clip(drawn[0], 0, 1) * 255).astype(np.uint8)).save(bench.out / f"sketch-{size}.png")
        rows.append(
            {
                "case": f"inference {size} px (Keras {keras.backend.backend()})",
                "seconds": seconds,
                "rate": f"{1 / seconds:.1f} pictures/s",
                "peak_gb": bench.peak_gb(),
                "note": "",
            }
        )
    config = sketch.SketchConfig(size=256, epochs=1, pairs=pairs, batch_size=batch, patience=1, seed=0)
    with tempfile.TemporaryDirectory() as folder:
        built_in = sketch.load_pairs(config)
        bench.peak_reset()
        started = time.perf_counter()
        final = None
        for event in training.train(config, Path(folder) / "model.keras", built_in):
            final = event
        bench.sync()
        seconds = time.perf_counter() - started
    mae = final.metrics.get("best_val_mae", float("nan"))
    sane(math.isfinite(mae), "finite validation MAE")
    count = len(built_in.train_photos)
    rows.append(
        {
            "case": f"one training epoch, 256 px, {count} pairs (Keras {keras.backend.backend()})",
            "seconds": seconds,
            "rate": f"{count / seconds:.1f} pairs/s",
            "peak_gb": bench.peak_gb(),
            "note": f"validation MAE {mae:.4f}",
        }
    )
    return rows


def fid_checks(bench: Bench, count: int) -> list[dict]:
    path = REPO / "weights" / "gan-fashion-mnist.pt"
    if not path.is_file():
        raise SkipCheck(f"{path.name} is missing")
    generator, config = gan.load_generator(path)
    started = time.perf_counter()
    try:
        scores = gan.fid(generator, config, count=count)
    except ValueError as error:
        raise SkipCheck(str(error)) from None
    seconds = time.perf_counter() - started
    sane(all(math.isfinite(value) and value >= 0 for value in scores.values()), "finite FIDs")
    return [
        {
            "case": f"VGG-FID, {count} pictures a set",
            "seconds": seconds,
            "rate": "",
            "peak_gb": bench.peak_gb(),
            "note": f"FID {scores['fid']:.0f}, floor {scores['fid_floor']:.0f}",
        }
    ]


def table(rows: list[dict]) -> str:
    lines = [f"{'check':<8} {'case':<58} {'status':<8} {'seconds':>8} {'rate':>18} {'peak GB':>8}  note"]
    for row in rows:
        seconds = f"{row['seconds']:.2f}" if isinstance(row.get("seconds"), float) else ""
        peak = "" if row.get("peak_gb") is None else f"{row['peak_gb']:.2f}"
        lines.append(
            f"{row['check']:<8} {row.get('case', ''):<58} {row['status']:<8} {seconds:>8} "
            f"{row.get('rate', ''):>18} {peak:>8}  {row.get('note', '')}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", metavar="OUT_DIR")
    parser.add_argument("--quick", action="store_true", help="toy sizes, on the CPU, in seconds (what the test runs)")
    parser.add_argument("--only", default="style,gan,sketch,fid", help="comma-separated checks to run")
    arguments = parser.parse_args(argv)
    plan = QUICK if arguments.quick else FULL
    out = Path(arguments.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    where = device.torch_device()
    info = device.detect()
    warnings = device.version_warnings()
    header = (
        f"{info['name']} ({where.type}); Python {platform.python_version()}, torch {torch.__version__}, "
        f"numpy {np.__version__}; {'quick (toy sizes)' if arguments.quick else 'full'}"
    )
    print(header, flush=True)
    for warning in warnings:
        print(f"warning: {warning}", flush=True)
    bench = Bench(out, where)
    checks = {
        "style": (style_checks, plan["style"]),
        "gan": (gan_checks, plan["gan_widths"], plan["gan_limit"]),
        "sketch": (sketch_checks, plan["sketch_sizes"], plan["sketch_pairs"], plan["sketch_batch"]),
        "fid": (fid_checks, plan["fid_count"]),
    }
    for name in [item.strip() for item in arguments.only.split(",") if item.strip()]:
        if name not in checks:
            parser.error(f"unknown check {name!r}; choose from {', '.join(checks)}")
        function, *options = checks[name]
        print(f"-- {name}", flush=True)
        bench.run(name, function, bench, *options)
    if "tensorflow" in sys.modules:  # the lent GPU machine has none: nothing here may need it
        bench.add("all", status="FAILED", note="TensorFlow was imported; the GPU path must run without it")
    text = table(bench.rows)
    print(text)
    (out / "table.txt").write_text(header + "\n" + "".join(f"warning: {w}\n" for w in warnings) + text + "\n")
    (out / "results.json").write_text(
        json.dumps(
            {"device": info, "quick": arguments.quick, "warnings": warnings, "rows": bench.rows}, indent=2, default=str
        )
    )
    return 1 if bench.failed else 0


if __name__ == "__main__":
    sys.exit(main())
