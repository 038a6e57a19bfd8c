"""``style`` and ``style-video``: Gatys style transfer, the instant network, clips (core.style)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from core.batch import unique_stems
from core.cli.batch import expand_inputs, is_many, write_contact_sheet, write_zip
from core.cli.events import EXIT_BAD_INPUT, EXIT_INTERRUPTED, drive
from core.cli.stamps import add_settings_option, input_hashes, pick, stamp_outputs, typed, with_base
from core.cli.video import clip_command, run_clip
from core.configs import add_arguments
from core.style.config import StyleConfig


def add(tools) -> None:
    command = tools.add_parser(
        "style",
        help="Gatys style transfer through the ImageNet VGG19 (offline weights)",
        description="Repaint CONTENT in the style of STYLE (several styles are blended). CONTENT may be a "
        "folder, a zip of pictures or a quoted glob: every picture is stylised with the same settings "
        "(--output-dir), a picture that cannot be read or stylised is listed with its reason and the rest go on.",
    )
    command.add_argument(
        "content",
        help="a picture, or a folder of pictures, a zip of them or a quoted glob ('photos/*.jpg'; then give "
        "--output-dir)",
    )
    command.add_argument("styles", nargs="+", metavar="STYLE")
    command.add_argument("--output", help="where to save the PNG (one CONTENT picture)")
    command.add_argument("--output-dir", help="where to save one PNG per picture (CONTENT a folder, zip or glob)")
    command.add_argument(
        "--contact-sheet",
        action="store_true",
        help="with --output-dir: also write DIR/contact-sheet.png, every result small over its name",
    )
    command.add_argument(
        "--zip",
        metavar="NAME",
        help="with --output-dir: also write DIR/NAME, a zip of every result, the contact sheet, the failures with "
        "their reasons and the settings",
    )
    command.add_argument(
        "--instant",
        action="store_true",
        help="only the feed-forward network's picture (well under a second), no optimisation",
    )
    # The optimisation's settings come from StyleConfig's declarations (help, choices, defaults).
    add_arguments(command, StyleConfig, ["size", "steps", "optimizer", "learning_rate"])
    command.add_argument(
        "--strength",
        type=float,
        default=None,
        help="stylisation strength 0-1 (default 0.4); sets the style weight, 10**(4s-3)",
    )
    add_arguments(command, StyleConfig, ["content_weight"])
    command.add_argument("--style-weight", type=float, default=None, help="overrides --strength")
    add_arguments(command, StyleConfig, ["tv_weight"])
    command.add_argument("--style-blend", type=float, nargs="*", default=[], help="one weight per STYLE")
    add_arguments(command, StyleConfig, ["init"])
    command.add_argument("--mask", help="a region mask (red and blue regions, or black and white)")
    command.add_argument(
        "--region-styles",
        nargs="*",
        default=[],
        help="per region (unpainted, red, blue): a STYLE number from 1, or keep",
    )
    command.add_argument(
        "--no-trim-frame", action="store_true", help="keep dark or light bands along the style pictures' edges"
    )
    add_arguments(
        command,
        StyleConfig,
        ["pooling", "preserve_colour", "multiscale", "tiled", "weights", "device", "precision", "seed"],
    )
    command.add_argument("--metrics-json", help="write per-step losses and wall times here")
    command.add_argument(
        "--sweep",
        action="append",
        default=[],
        metavar="NAME=VALUES",
        help="step one setting over values, V1,V2,... or START:STOP:COUNT (twice for a grid of two; at most 36 "
        "cells, each a whole optimisation): --output (or DIR/<name>-sweep.png) is the grid with labelled axes, "
        "and each cell is written beside it as <name>-<setting>-<value>.png with its settings inside",
    )
    add_settings_option(command, "style")
    command.set_defaults(handler=run_style)


STYLE_FLAGS = (
    "size",
    "steps",
    "optimizer",
    "learning_rate",
    "content_weight",
    "tv_weight",
    "init",
    "pooling",
    "preserve_colour",
    "multiscale",
    "tiled",
    "weights",
    "device",
    "precision",
    "seed",
)


def style_config(arguments, regions: list[str]):
    """The StyleConfig of a parsed ``style`` command, in one call: each setting from its flag when
    typed, else from ``--settings FILE``, else its default."""
    from core import configs, style

    values = {name: pick(arguments, name) for name in STYLE_FLAGS}
    if typed(arguments, "style_weight") and arguments.style_weight is not None:
        values["style_weight"] = arguments.style_weight
    elif typed(arguments, "strength") and arguments.strength is not None:
        values["style_weight"] = style.style_weight_for(arguments.strength)
    else:
        values["style_weight"] = pick(arguments, "style_weight", default=style.style_weight_for(style.STRENGTH_DEFAULT))
    values["style_blend"] = tuple(pick(arguments, "style_blend", default=()))
    # A file's regions need a mask of the same layout: they come back only with --mask.
    values["region_styles"] = tuple(regions) or (
        tuple(pick(arguments, "region_styles", default=())) if arguments.mask else ()
    )
    values["preview_every"] = max(1, values["steps"])
    return configs.from_dict(style.StyleConfig, with_base(arguments, values))


def _region_choices(arguments) -> list[str]:
    """--region-styles as the config holds them: a style's index from 0, or keep."""
    regions = []
    for choice in arguments.region_styles:
        if choice == "keep":
            regions.append("keep")
        elif choice.isdigit() and 1 <= int(choice) <= len(arguments.styles):
            regions.append(str(int(choice) - 1))
        else:
            raise ValueError(
                f"--region-styles takes a STYLE number (1 to {len(arguments.styles)}) or keep, not {choice!r}."
            )
    return regions


def run_style(arguments) -> int:
    from core import images, style
    from core.style import pictures

    if arguments.output_dir is None and arguments.output is None:
        raise ValueError("Give --output (one picture) or --output-dir (a folder of pictures).")
    regions = _region_choices(arguments)
    if arguments.mask and not regions:
        raise ValueError("--mask needs --region-styles: what each region gets (a STYLE number or keep).")
    config = style_config(arguments, regions)
    styles = []
    for path in arguments.styles:
        painting = images.load_image(path)
        if not arguments.no_trim_frame:
            painting, widths = pictures.trim_frame(painting)
            if any(widths.values()):
                print(f"{path}: {pictures.describe_trim(widths)}", file=sys.stderr)
        styles.append(painting)
    mask = None
    if arguments.mask:
        from PIL import Image

        try:
            mask = Image.open(arguments.mask)
            mask.load()
        except OSError as error:
            raise ValueError(f"Cannot read the mask {arguments.mask}: {error}") from None
    if is_many(arguments.content):
        if not arguments.output_dir:
            raise ValueError("CONTENT is a folder, zip or glob: give --output-dir for the results.")
        import tempfile

        with tempfile.TemporaryDirectory(prefix="atelier-style-") as unpacked:
            names = expand_inputs([arguments.content], Path(unpacked))
            return style_folder(names, styles, config, Path(arguments.output_dir), arguments, mask)
    if arguments.contact_sheet or arguments.zip:
        raise ValueError("--contact-sheet and --zip are for many pictures (CONTENT a folder, zip or glob).")
    content = images.load_image(arguments.content)
    if arguments.sweep:
        return _run_sweep(arguments, config, content, styles, mask)
    output = (
        Path(arguments.output)
        if arguments.output
        else Path(arguments.output_dir) / f"{Path(arguments.content).stem}.png"
    )
    if arguments.instant:
        from core.style import instant

        started = time.time()
        picture = instant.stylise(content, styles[0], config.size)
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_bytes(images.to_png_bytes(picture))
        print(f"saved {output} (instant, {time.time() - started:.2f} s)", file=sys.stderr)
        return 0
    status = drive(
        style.stylise(content, styles, config, regions=_regions(mask, content)), output, arguments.metrics_json
    )
    stamp_outputs("style", config, [output], inputs=input_hashes([arguments.content, *arguments.styles]))
    return status


def _run_sweep(arguments, config, content, styles, mask) -> int:
    """``style --sweep``: a whole optimisation per cell, each cell's picture and the grid."""
    from core import sweep, tools
    from core.style import sweep as style_sweep

    if len(arguments.sweep) > sweep.MAX_AXES:
        raise ValueError(f"--sweep is given once or twice (a grid of two settings), not {len(arguments.sweep)} times.")
    if arguments.instant or mask is not None or config.tiled:
        raise ValueError("--sweep repaints the whole picture by optimisation: not with --instant, --mask or --tiled.")
    axes = [sweep.parse_axis(StyleConfig, text) for text in arguments.sweep]
    sweep.cells(config, axes)  # every cell checked before the first optimisation
    stem = Path(arguments.content).stem
    grid = Path(arguments.output) if arguments.output else Path(arguments.output_dir) / f"{stem}-sweep.png"
    grid.parent.mkdir(parents=True, exist_ok=True)
    inputs = input_hashes([arguments.content, *arguments.styles])
    events = style_sweep.run(
        content,
        styles,
        config,
        axes,
        cell_path=lambda cell: grid.parent / f"{stem}-{cell.name}.png",
        stamp_of=lambda cell: tools.make_stamp("style", cell.config, inputs=inputs),
    )
    status = drive(events, grid, arguments.metrics_json)
    stamp_outputs("style", config, [grid], inputs=inputs)  # the grid carries the settings held across it
    return status


def _regions(mask, content):
    if mask is None:
        return None
    from core.style import pictures

    labels, notes = pictures.regions_from_mask(mask, content.size)
    for note in notes:
        print(f"mask: {note}", file=sys.stderr)
    return labels


def style_folder(names: list[str], styles, config, output_dir: Path, arguments, mask) -> int:
    """Every picture of ``names`` with one set of settings; one that cannot be read or stylised is
    reported with its reason and the rest go on; then the contact sheet and the zip, if asked for."""
    from core import images, style, tools

    output_dir.mkdir(parents=True, exist_ok=True)
    failures: list[dict] = []
    done: list[str] = []
    stems = unique_stems([Path(name).name for name in names], len(names))
    for index, (path, stem) in enumerate(zip(map(Path, names), stems), start=1):
        try:
            content = images.load_image(path)
        except ValueError as error:
            failures.append({"name": path.name, "reason": str(error)})
            print(f"[{index}/{len(names)}] skipped {path.name}: {error}", file=sys.stderr)
            continue
        target = output_dir / f"{stem}.png"
        print(f"[{index}/{len(names)}] {path.name} -> {target}", file=sys.stderr)
        try:
            if arguments.instant:
                from core.style import instant

                target.write_bytes(images.to_png_bytes(instant.stylise(content, styles[0], config.size)))
                status = 0  # (the network's picture: the optimisation's settings would not remake it)
            else:
                status = drive(style.stylise(content, styles, config, regions=_regions(mask, content)), target, None)
                stamp_outputs("style", config, [target], inputs=input_hashes([path]))
        except ValueError as error:
            failures.append({"name": path.name, "reason": str(error)})
            print(f"[{index}/{len(names)}] failed {path.name}: {error}", file=sys.stderr)
            continue
        if status == EXIT_INTERRUPTED:
            return status
        done.append(stem)
    if arguments.contact_sheet and done:
        write_contact_sheet(output_dir, done)
    if arguments.zip:
        stamp = None if arguments.instant else tools.make_stamp("style", config)
        write_zip(output_dir, arguments.zip, [f"{stem}.png" for stem in done], failures, stamp)
    print(
        f"stylised {len(done)} of {len(names)} pictures into {output_dir}"
        + (f"; {len(failures)} could not be read or stylised (above)" if failures else ""),
        file=sys.stderr,
    )
    if not done:
        raise ValueError(f"None of the {len(names)} pictures could be stylised.")
    return EXIT_BAD_INPUT if failures else 0


def add_video(tools) -> None:
    from core.style.video import StyleVideoConfig

    defaults = StyleVideoConfig()
    command = clip_command(
        tools,
        "style-video",
        "a video clip in a painting's style (the instant network, made steady along the clip's motion)",
    )
    command.add_argument("style", metavar="STYLE", help="the painting")
    command.add_argument(
        "--strength",
        type=float,
        default=defaults.strength,
        help="0 keeps the clip's own look, 1 takes the painting's (default)",
    )
    command.add_argument(
        "--steadiness",
        type=float,
        default=defaults.steadiness,
        help="how much of the previous frame, carried along the motion, each frame keeps "
        "(0 = every frame on its own: it flickers)",
    )
    command.add_argument("--side", type=int, default=defaults.side, help="the frames' longer side, px")
    add_settings_option(command, "style-video")
    command.set_defaults(handler=run_style_video)


def run_style_video(arguments) -> int:
    from core import configs, images
    from core.style import video

    names = ("strength", "steadiness", "side", "max_seconds")
    config = configs.from_dict(
        video.StyleVideoConfig, with_base(arguments, {name: pick(arguments, name) for name in names})
    )
    video_plan = video.clip_plan(arguments.clip, config)  # the clip is checked first, then the painting
    painting = images.load_image(arguments.style)
    status = run_clip(lambda output: video.style_clip(arguments.clip, painting, output, config), arguments, video_plan)
    stamp_outputs("style-video", config, [arguments.output], inputs=input_hashes([arguments.clip, arguments.style]))
    return status
