"""``gan-train``, ``gan-sample``, ``gan-fid``, ``gan-classifier``, ``gan-eval``, ``gan-export`` (core.gan)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from core.cli.events import consume, drive


def add(tools) -> None:
    train = tools.add_parser("gan-train", help="train a DCGAN on Fashion-MNIST or a folder of pictures",
                             description="Train a DCGAN; the checkpoint is written after every epoch.")
    train.add_argument("--dataset", default="fashion-mnist",
                       help="fashion-mnist, abstract-art (Debian wallpapers), a folder of pictures or a zip of them "
                            "(with --conditional: one folder per class)")
    train.add_argument("--epochs", type=int, required=True)
    train.add_argument("--output", required=True, help="checkpoint file to write (e.g. gan.pt)")
    train.add_argument("--classes", type=int, nargs="*", default=[], help="Fashion-MNIST classes to keep (0-9)")
    train.add_argument("--size", type=int, help="picture side (default 32 for Fashion-MNIST, 64 for folders)")
    train.add_argument("--channels", type=int, choices=[1, 3], help="default 1 for Fashion-MNIST, 3 for folders")
    train.add_argument("--latent", type=int, default=100)
    # These default to the DCGAN's settings (64, 64, 128, 2e-4, 2e-4, none), or to the small-set
    # model's with --small-set (gan.SMALL_SET_DEFAULTS); a flag given always wins.
    train.add_argument("--ngf", type=int, help="generator width (default 64; 32 with --small-set)")
    train.add_argument("--ndf", type=int, help="discriminator width (default 64; 32 with --small-set)")
    train.add_argument("--batch-size", type=int, help="default 128; 16 with --small-set")
    train.add_argument("--g-learning-rate", type=float)
    train.add_argument("--d-learning-rate", type=float)
    train.add_argument("--label-smoothing", type=float, default=0.0)
    train.add_argument("--diffaugment", help="comma list of color, translation, cutout (all three with --small-set)")
    train.add_argument("--architecture", choices=["dcgan", "fastgan"],
                       help="dcgan (the paper's, the default) or fastgan (the small-set model; 64 or 128 px)")
    train.add_argument("--ada-target", type=float,
                       help="adaptive augmentation: apply DiffAugment with a probability steered so that D calls "
                            "this share of real pictures real (0.6 is the paper's; 0 = off, the default; 0.6 with "
                            "--small-set)")
    train.add_argument("--small-set", action="store_true",
                       help="the small-set model with its defaults (FastGAN, 64 px, widths 16 and 32, batch 16, DiffAugment "
                            "under ADA): for a folder of a few dozen to a few thousand pictures")
    train.add_argument("--limit", type=int, default=0, help="use at most this many pictures")
    train.add_argument("--resume", default="", help="continue from this checkpoint")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--device", choices=["auto", "cuda", "mps", "cpu"], default="auto")
    train.add_argument("--crops", type=int, default=1, help="random crops per picture of a folder (1 = centre)")
    train.add_argument("--fid-every", type=int, default=0, help="VGG-FID every N epochs and after the last (0 = off)")
    train.add_argument("--fid-count", type=int, default=500, help="pictures per set for that FID")
    train.add_argument("--conditional", action="store_true",
                       help="class-conditional (Fashion-MNIST's classes, or a folder with one sub-folder per class)")
    train.add_argument("--preview-every", type=int, default=75, help="iterations between preview grids (0 = epoch ends)")
    train.add_argument("--progress-gif", help="write the film of the fixed-noise grid here (GIF; an MP4 beside it "
                       "where OpenCV can write one)")
    train.add_argument("--r1", type=float, default=0.0, help="R1 penalty weight gamma (0 = off)")
    train.add_argument("--spectral-norm", action="store_true", help="spectral normalisation in the discriminator")
    train.add_argument("--grid-output", help="also save the last epoch's sample grid here (PNG)")
    train.add_argument("--metrics-json", help="write per-iteration losses and wall times here")
    train.set_defaults(handler=run_gan_train)
    sample = tools.add_parser("gan-sample", help="sample a grid of pictures from a trained generator")
    sample.add_argument("--weights", required=True, help="a checkpoint from gan-train or GAN Studio")
    sample.add_argument("-n", type=int, default=64, help="how many pictures")
    sample.add_argument("--seed", type=int, default=0)
    sample.add_argument("--output", required=True, help="grid PNG to write")
    sample.add_argument("--class", dest="wanted", help="a class name or number (conditional generators)")
    sample.add_argument("--rows-per-class", action="store_true",
                        help="a conditional generator's grid with one row per class (-n pictures a row)")
    sample.set_defaults(handler=run_gan_sample)
    evaluate = tools.add_parser("gan-fid", help="FID of a Fashion-MNIST generator under the stated protocol")
    evaluate.add_argument("--weights", required=True)
    evaluate.add_argument("-n", type=int, default=2000, help="pictures per set")
    evaluate.add_argument("--seed", type=int, default=0)
    evaluate.set_defaults(handler=run_gan_fid)
    classifier = tools.add_parser("gan-classifier", help="train the garment classifier that GAN Studio's "
                                  "Fashion-MNIST metrics use, and print its test accuracy")
    classifier.add_argument("--output", required=True, help="where to write it (weights/garment-classifier.pt ships)")
    classifier.add_argument("--epochs", type=int, default=4)
    classifier.add_argument("--seed", type=int, default=0)
    classifier.set_defaults(handler=run_gan_classifier)
    report = tools.add_parser("gan-eval", help="how good a generator is: garment distance, coverage and agreement "
                              "(Fashion-MNIST), or diversity and memorisation (picture folders); JSON")
    report.add_argument("--weights", required=True)
    report.add_argument("-n", type=int, default=1000, help="samples (Fashion-MNIST metrics)")
    report.add_argument("--seed", type=int, default=0)
    report.add_argument("--nearest-grid", help="picture folders: also save a PNG of 8 samples, each beside its 3 "
                                               "nearest training crops (the memorisation check by eye)")
    report.set_defaults(handler=run_gan_eval)
    export = tools.add_parser("gan-export", help="shrink a training checkpoint to a generator for sampling")
    export.add_argument("checkpoint")
    export.add_argument("--output", required=True)
    export.set_defaults(handler=lambda arguments: __import__("core.gan").gan.export_generator(
        arguments.checkpoint, arguments.output) or 0)


def gan_train_config(arguments):
    """The GanConfig of a parsed ``gan-train`` command line."""
    from core import gan

    folder = arguments.dataset != "fashion-mnist"
    defaults = {"size": 64 if folder else 32, "channels": 3 if folder else 1}
    if arguments.small_set:
        defaults.update(gan.SMALL_SET_DEFAULTS)
    given = {name: getattr(arguments, name) for name in ("size", "channels", "ngf", "ndf", "batch_size", "g_learning_rate",
                                                        "d_learning_rate", "diffaugment", "architecture", "ada_target")
             if getattr(arguments, name) is not None}
    chosen = {**defaults, **given}  # anything else: GanConfig's own default
    return gan.GanConfig(
        dataset=arguments.dataset, classes=tuple(arguments.classes), latent=arguments.latent, epochs=arguments.epochs,
        label_smoothing=arguments.label_smoothing, limit=arguments.limit, **chosen,
        seed=arguments.seed, device=arguments.device, resume=arguments.resume, fid_every=arguments.fid_every,
        fid_count=arguments.fid_count, crops=arguments.crops, conditional=arguments.conditional,
        preview_every=arguments.preview_every, r1_gamma=arguments.r1, spectral_norm=arguments.spectral_norm,
    )


def run_gan_train(arguments) -> int:
    from core import gan

    config = gan_train_config(arguments)
    output = Path(arguments.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    grid = Path(arguments.grid_output) if arguments.grid_output else output.with_suffix(".png")
    events = gan.train(config, output)
    if not arguments.progress_gif:
        return drive(events, grid, arguments.metrics_json)
    gif = Path(arguments.progress_gif)
    gif.parent.mkdir(parents=True, exist_ok=True)
    film = gan.ProgressFilm(gif, gif.with_suffix(".mp4"))

    def filmed(event) -> None:
        if event.preview is not None:
            film.add(event.preview, event.step)

    try:
        return drive(events, grid, arguments.metrics_json, watchers=(filmed,))
    finally:
        if film.frames:
            film.finish()
            print(f"saved {gif} ({len(film.frames)} frames" + (f", thinned {film.thinned}x to stay under 50 MB"
                  if film.thinned else "") + ")" + (f" and {gif.with_suffix('.mp4')}" if film.mp4_written else
                  "; no MP4 codec here"), file=sys.stderr)


def run_gan_classifier(arguments) -> int:
    from core.gan import classifier

    if arguments.epochs < 1:
        raise ValueError("--epochs must be at least 1.")
    started, finals = time.time(), {}

    def keep(event) -> None:
        finals.update(event.metrics)

    status = consume(classifier.train(arguments.epochs, arguments.seed, output=Path(arguments.output)), every=5.0,
                     always=lambda event: "test_accuracy" in event.metrics, watchers=(keep,))
    print(json.dumps({"test_accuracy": finals.get("test_accuracy"), "epochs": arguments.epochs,
                      "seed": arguments.seed, "seconds": round(time.time() - started, 1), "output": arguments.output}))
    return status


def run_gan_eval(arguments) -> int:
    import numpy as np

    from core import gan, images
    from core.gan import classifier, evaluation

    generator, config = gan.load_generator(arguments.weights)
    if config.dataset == "fashion-mnist":
        model, info = classifier.load()
        reference = evaluation.garment_reference(model, count=arguments.n)
        found = evaluation.garment_metrics(generator, config, model, reference, count=arguments.n, seed=arguments.seed,
                                           by_class=True)
        pictures = gan.sample(generator, config, arguments.n, arguments.seed)
        _, logits = classifier.features(model, pictures[:, :1])
        shares = np.bincount(logits.argmax(axis=1), minlength=10) / arguments.n
        found["coverage"] = {name: round(float(share), 4) for name, share in zip(gan.FASHION_CLASSES, shares)}
        found["classifier_test_accuracy"] = info.get("test_accuracy")
        if "agreement_by_class" in found:
            found["classifier_accuracy_by_class"] = classifier.accuracy_by_class(model, tuple(found["agreement_by_class"]))
        found["ratio_to_floor"] = found["garment_distance"] / found["garment_floor"]
    else:
        found = evaluation.picture_report(generator, config, seed=arguments.seed)
        if arguments.nearest_grid:
            grid = evaluation.nearest_crops_grid(generator, config, seed=arguments.seed)
            Path(arguments.nearest_grid).write_bytes(images.to_png_bytes(grid))
    print(json.dumps(found, indent=1))
    return 0


def run_gan_fid(arguments) -> int:
    from core import gan

    generator, config = gan.load_generator(arguments.weights)
    scores = gan.fid(generator, config, arguments.n, arguments.seed)
    print(json.dumps({**scores, "pictures_per_set": arguments.n, "layer": gan.FID_LAYER, "size": gan.FID_SIZE}))
    return 0


def run_gan_sample(arguments) -> int:
    from core import gan, images

    if not 1 <= arguments.n <= 1024:
        raise ValueError("-n must be between 1 and 1024.")
    generator, config = gan.load_generator(arguments.weights)
    if arguments.rows_per_class:
        pictures, columns = gan.class_rows(generator, config, arguments.n, arguments.seed)
        grid = gan.make_grid(pictures, columns=columns)
    else:
        grid = gan.make_grid(gan.sample(generator, config, arguments.n, arguments.seed, arguments.wanted))
    Path(arguments.output).write_bytes(images.to_png_bytes(grid))
    print(f"saved {arguments.output}", file=sys.stderr)
    return 0
