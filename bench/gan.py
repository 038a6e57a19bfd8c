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
        real = data[index * config.batch_size % (len(data) - config.batch_size):][: config.batch_size]
        fake = generator(torch.randn(config.batch_size, config.latent, 1, 1))
        optimiser_d.zero_grad()
        real_logits, fake_logits = discriminator(real), discriminator(fake.detach())
        loss = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits)) + \
            F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=40)
    parser.add_argument("--widths", default="64,32")
    parser.add_argument("--batch", type=int, default=128)
    arguments = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; batch {arguments.batch}, 32x32 grey, "
          f"{arguments.iterations} timed iterations")
    print(f"\n{'ngf=ndf':>7} {'loop':<47} {'pictures/s':>11} {'s per epoch':>12} {'speed-up':>9}")
    for width in [int(value) for value in arguments.widths.split(",")]:
        limit = arguments.batch * (arguments.iterations + 3)
        config = gan.GanConfig(ngf=width, ndf=width, batch_size=arguments.batch, limit=limit, epochs=1)
        data, _, _, _ = gan.load_dataset(config)
        plain = reference_seconds(config, data, arguments.iterations)
        rows = [("plain reference loop (float32)", plain)]
        for precision, conditional in (("auto", False), ("float32", False), ("auto", True)):
            rows.append((f"core.gan.train{', conditional' if conditional else ''}, precision {precision}",
                         our_seconds(gan.GanConfig(ngf=width, ndf=width, batch_size=arguments.batch, limit=limit,
                                                   epochs=1, precision=precision, conditional=conditional,
                                                   preview_every=0, garment_metrics=False), arguments.iterations)))
        for name, seconds in rows:
            rate = arguments.iterations * arguments.batch / seconds
            print(f"{width:>7} {name:<47} {rate:11.0f} {60000 / rate:12.1f} {plain / seconds:8.2f}x")


if __name__ == "__main__":
    main()
