"""GAN Studio training speed against a plain reference loop of the same DCGAN, in one run.

    python bench/gan.py [--iterations 40] [--widths 64,32] [--batch 128]

Both loops train the same architecture (core.gan's generator and discriminator, 32x32 grey,
Fashion-MNIST) at the same batch size for the same number of iterations after two warm-up
iterations. The reference is the loop a tutorial writes: float32, sigmoid-free BCE-with-logits,
D step then G step. Ours is core.gan.train with its defaults (precision "auto": bfloat16
convolutions where the CPU has AVX512-BF16 or AMX). Printed: pictures per second and the
seconds a whole Fashion-MNIST epoch (60,000 pictures) would take. The conditional model (label
embedding into G, projection discriminator) is timed the same way, against the same plain
unconditional loop. Preview grids and the per-epoch metrics are off in these timings (they cost
one generator pass every 75 iterations and a few seconds per epoch).

    python bench/gan.py --small-set [--iterations 20] [--curve METRICS.json]

The small-set model (FastGAN, core/gan/fastgan.py) beside the DCGAN at 64 and 128 px on the
abstract-art pictures, batch 16, DiffAugment on both (ADA on FastGAN, as its defaults):
seconds per iteration. With --curve, the in-training VGG-FID of a ``gan-train --fid-every``
run (its metrics JSON; the shipped abstract-art generator's is
bench/results/gan-abstract-art-train.json) against training time, beside the floor (500 real
training crops against 500 others): what an hour of training buys. The time is the run's
iterations at the seconds per iteration measured above on this machine (at 64 px), not the
run's own wall clock, which other work on the machine stretched. The curve is also drawn to
bench/results/gan-small-set-curve.png.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core import gan  # noqa: E402


def reference_seconds(config: gan.GanConfig, data, iterations: int) -> float:
    generator, discriminator = gan.build_generator(config), gan.build_discriminator(config)
    optimiser_g = torch.optim.Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optimiser_d = torch.optim.Adam(discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    started = None
    for index in range(iterations + 2):
        if index == 2:
            started = time.perf_counter()
        real = data[index * config.batch_size % (len(data) - config.batch_size) :][: config.batch_size]
        fake = generator(torch.randn(config.batch_size, config.latent, 1, 1))
        optimiser_d.zero_grad()
        real_logits, fake_logits = discriminator(real), discriminator(fake.detach())
        loss = F.binary_cross_entropy_with_logits(
            real_logits, torch.ones_like(real_logits)
        ) + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
        loss.backward()
        optimiser_d.step()
        optimiser_g.zero_grad()
        logits = discriminator(fake)
        F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits)).backward()
        optimiser_g.step()
    return time.perf_counter() - started


def our_seconds(config: gan.GanConfig, iterations: int) -> float:
    stamps = []
    for event in gan.train(config):
        stamps.append(time.perf_counter())
        if event.step >= iterations + 2:
            break
    return stamps[-1] - stamps[1]


def small_set(iterations: int, curve: str | None) -> None:
    """Seconds per iteration of FastGAN and the DCGAN on abstract art, and the FID curve."""
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads; abstract art, batch 16, "
        f"{iterations} timed iterations after 2\n"
    )
    print(f"{'size':>5} {'model':<44} {'s/iteration':>12} {'iterations/hour':>16}")
    measured = {}
    for size in (64, 128):
        for name, settings in (
            ("DCGAN, width 32, DiffAugment", dict(ngf=32, ndf=32, diffaugment="color,translation,cutout")),
            ("FastGAN (small-set defaults, ADA)", dict(gan.SMALL_SET_DEFAULTS)),
        ):
            config = gan.GanConfig(
                **{
                    **settings,
                    "dataset": "abstract-art",
                    "size": size,
                    "channels": 3,
                    "crops": 1,
                    "batch_size": 16,
                    "epochs": 50,
                    "preview_every": 0,
                }
            )
            seconds = our_seconds(config, iterations) / iterations
            measured[(size, config.architecture)] = seconds
            print(f"{size:>5} {name:<44} {seconds:12.3f} {3600 / seconds:16.0f}")
    if not curve:
        return
    import json

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from core.gan import evaluation
    from core.gan.augment import augment_batch
    from core.gan.data import load_dataset

    records = json.loads(Path(curve).read_text())["steps"]
    per_iteration = measured[(64, "fastgan")]
    points = [
        (row["step"], row["step"] * per_iteration, row["metrics"]["fid"])
        for row in records
        if "fid" in row.get("metrics", {})
    ]
    config = gan.GanConfig(dataset="abstract-art", size=64, channels=3, crops=100, seed=1)
    data, _, _, _ = load_dataset(config)
    order = torch.randperm(len(data), generator=torch.Generator().manual_seed(0))
    floor = evaluation.frechet_distance(
        evaluation.vgg_features(augment_batch(data[order[:500]], 64)),
        evaluation.vgg_features(augment_batch(data[order[500:1000]], 64)),
    )
    print(
        f"\nin-training VGG-FID (500 samples against 500 training crops) of {curve}; floor {floor:.3g}; "
        f"minutes at {per_iteration:.3f} s an iteration"
    )
    print(f"{'iteration':>9} {'minutes':>8} {'FID':>10} {'x floor':>8}")
    for step, seconds, value in points:
        print(f"{step:>9} {seconds / 60:8.1f} {value:10.3g} {value / floor:8.1f}")
    figure, axis = plt.subplots(figsize=(6, 3.5), dpi=120)
    axis.plot([seconds / 60 for _, seconds, _ in points], [value / floor for _, _, value in points], marker="o")
    axis.axhline(1.0, color="grey", linestyle="--", label="real crops against real crops")
    axis.set_xlabel(f"minutes of training on this machine ({torch.get_num_threads()} threads)")
    axis.set_ylabel("VGG-FID / floor")
    axis.set_title("FastGAN on abstract art: what training time buys")
    axis.legend()
    figure.tight_layout()
    target = Path(__file__).resolve().parent / "results" / "gan-small-set-curve.png"
    figure.savefig(target)
    print(f"drawn to {target.relative_to(Path(__file__).resolve().parent.parent)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=40)
    parser.add_argument("--widths", default="64,32")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--small-set", action="store_true", help="FastGAN beside the DCGAN on abstract art")
    parser.add_argument("--curve", help="with --small-set: a gan-train metrics JSON with FID to draw")
    arguments = parser.parse_args()
    if arguments.small_set:
        small_set(arguments.iterations, arguments.curve)
        return
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads; batch {arguments.batch}, 32x32 grey, "
        f"{arguments.iterations} timed iterations"
    )
    print(f"\n{'ngf=ndf':>7} {'loop':<47} {'pictures/s':>11} {'s per epoch':>12} {'speed-up':>9}")
    for width in [int(value) for value in arguments.widths.split(",")]:
        limit = arguments.batch * (arguments.iterations + 3)
        config = gan.GanConfig(ngf=width, ndf=width, batch_size=arguments.batch, limit=limit, epochs=1)
        data, _, _, _ = gan.load_dataset(config)
        plain = reference_seconds(config, data, arguments.iterations)
        rows = [("plain reference loop (float32)", plain)]
        for precision, conditional in (("auto", False), ("float32", False), ("auto", True)):
            rows.append(
                (
                    f"core.gan.train{', conditional' if conditional else ''}, precision {precision}",
                    our_seconds(
                        gan.GanConfig(
                            ngf=width,
                            ndf=width,
                            batch_size=arguments.batch,
                            limit=limit,
                            epochs=1,
                            precision=precision,
                            conditional=conditional,
                            preview_every=0,
                            garment_metrics=False,
                        ),
                        arguments.iterations,
                    ),
                )
            )
        for name, seconds in rows:
            rate = arguments.iterations * arguments.batch / seconds
            print(f"{width:>7} {name:<47} {rate:11.0f} {60000 / rate:12.1f} {plain / seconds:8.2f}x")


if __name__ == "__main__":
    main()
