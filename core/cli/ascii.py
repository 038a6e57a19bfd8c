"""``ascii`` and ``ascii-video``: pictures and clips as ASCII art (core.ascii)."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from pathlib import Path

from core.cli.batch import expand_inputs, write_contact_sheet, write_zip
from core.cli.events import EXIT_BAD_INPUT
from core.cli.stamps import add_settings_option, input_hashes, pick, required, stamp_outputs, typed, with_base
from core.cli.video import clip_command, run_clip


def add(tools) -> None:
    from core.ascii import ANIMATION_FORMATS, EXPORT_FORMATS, FRAME_CHOICES

    command = tools.add_parser(
        "ascii",
        help="structure-aware image to ASCII art (txt, html, ansi, png, svg; animated gif)",
        description="Convert each IMAGE to ASCII art; writes DIR/<name>.<format> for every format.",
    )
    command.add_argument(
        "images",
        nargs="+",
        metavar="IMAGE",
        help="a picture, a folder of pictures, a zip of pictures, or a quoted glob ('photos/*.jpg')",
    )
    command.add_argument(
        "--format",
        default="txt",
        help=f"comma-separated: {','.join(EXPORT_FORMATS)}; with --frames all: "
        f"{','.join(ANIMATION_FORMATS)} (gif animated, png a strip of frames, html plays them)",
    )
    command.add_argument("--output-dir", required=True)
    add_ascii_settings(command)
    command.add_argument(
        "--frames",
        default="first",
        choices=FRAME_CHOICES,
        help="an animated GIF/PNG/WebP: its first frame (default) or all of them, with one tone curve for every frame",
    )
    command.add_argument(
        "--sweep",
        action="append",
        default=[],
        metavar="NAME=VALUES",
        help="step one setting over values, V1,V2,... or START:STOP:COUNT (give it twice for a grid of two "
        "settings; at most 36 cells): writes DIR/<name>-sweep.png, a grid with labelled axes, and each cell "
        "as DIR/<name>-<setting>-<value>.png with its settings inside",
    )
    command.add_argument(
        "--contact-sheet",
        action="store_true",
        help="also write DIR/contact-sheet.png: every picture's PNG, small, over its name (needs png in --format)",
    )
    command.add_argument(
        "--zip",
        metavar="NAME",
        help="also write DIR/NAME, a zip of every file written, the failures with their reasons and the settings",
    )
    command.add_argument(
        "--no-settings",
        action="store_true",
        help="leave the settings out of the files (a TXT then starts with the art itself, for pasting; "
        "by default every txt, html, svg and png carries them, for --settings and the pages)",
    )
    command.set_defaults(handler=run_ascii)


# The settings whose flag is the setting itself (in --help's order); polarity, colour and levels
# have flags of their own (--invert, --colour, --no-auto-levels).
GLYPH_FLAGS = (
    *("p", "charset", "custom_charset", "include", "exclude"),
    *("font", "font_size", "contrast", "gamma", "edge_weight"),
)
TONE_FLAGS = ("method", "local_contrast")
ASCII_FLAGS = (*GLYPH_FLAGS, *TONE_FLAGS, "drawing")


def add_ascii_settings(command) -> None:
    """The conversion's settings, shared by ``ascii`` and ``ascii-video``, from AsciiConfig's
    declarations (help, choices, defaults)."""
    from core.ascii import AsciiConfig
    from core.configs import add_arguments, spec

    command.add_argument(
        "--columns", type=int, help=spec(AsciiConfig, "columns").help + " (required, unless --settings gives it)"
    )
    add_settings_option(command, "ascii")
    add_arguments(command, AsciiConfig, [*GLYPH_FLAGS, "polarity"])
    command.add_argument("--invert", action="store_true", help="the same as --polarity screen")
    command.add_argument("--colour", action="store_true", help="each glyph in its cell's colour")
    add_arguments(command, AsciiConfig, list(TONE_FLAGS))
    command.add_argument(
        "--no-auto-levels",
        action="store_true",
        help="keep the picture's own levels (default: stretch its 2nd-98th percentiles)",
    )
    add_arguments(command, AsciiConfig, ["drawing"])


def ascii_config(arguments):
    """The AsciiConfig of a parsed ``ascii`` or ``ascii-video`` command, in one call: each setting
    from its flag when typed, else from ``--settings FILE``, else its default."""
    import core.ascii as ascii_art
    from core import configs

    if arguments.invert and typed(arguments, "polarity") and arguments.polarity == "paper":
        raise ValueError("--invert means --polarity screen; it cannot go with --polarity paper.")
    values = {name: pick(arguments, name) for name in ASCII_FLAGS}
    values["columns"] = required(arguments, "columns", "--columns")
    values["polarity"] = "screen" if arguments.invert else pick(arguments, "polarity")
    values["colour_mode"] = "colour" if arguments.colour else pick(arguments, "colour_mode", default="mono")
    values["auto_levels"] = False if arguments.no_auto_levels else pick(arguments, "auto_levels", default=True)
    return configs.from_dict(ascii_art.AsciiConfig, with_base(arguments, values))


def run_ascii(arguments) -> int:
    import core.ascii as ascii_art

    allowed = (
        ascii_art.ANIMATION_FORMATS + ("svg",) if arguments.frames == "all" else ascii_art.EXPORT_FORMATS + ("gif",)
    )
    formats = [name.strip() for name in arguments.format.split(",") if name.strip()]
    unknown = [name for name in formats if name not in allowed]
    if unknown or not formats:
        raise ValueError(f"Unknown format(s) {', '.join(unknown) or '(none)'}; choose from {','.join(allowed)}.")
    config = ascii_config(arguments)
    if arguments.contact_sheet and "png" not in formats:
        raise ValueError("--contact-sheet lays out the pictures' PNGs: add png to --format.")
    import tempfile

    with tempfile.TemporaryDirectory(prefix="atelier-ascii-") as unpacked:
        arguments.images = expand_inputs(arguments.images, Path(unpacked))
        if arguments.sweep:
            return _run_sweep(arguments, config)
        return _run_pictures(arguments, config, formats)


def _run_pictures(arguments, config, formats: list[str]) -> int:
    """Every IMAGE converted and written, over the machine's cores; the contact sheet and the zip."""
    import core.ascii as ascii_art

    font = ascii_art.load_font(config.font)
    output_dir = Path(arguments.output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    global _ASCII_BATCH
    from core import tools

    stamp = None if arguments.no_settings else tools.make_stamp("ascii", config)
    _ASCII_BATCH = (config, font, formats, output_dir, arguments.frames == "all", stamp)
    ascii_art.glyph_table(font, ascii_art.usable_characters(config, font), True)  # once, before any fork (photos)
    if config.local_contrast > 0:
        # Photos will need OpenCV's CLAHE: import it once here, before the fork, rather than in
        # every child, and with one thread, since the batch already runs one picture per core.
        import cv2

        cv2.setNumThreads(1)
    names = list(arguments.images)
    workers = min(len(names), os.cpu_count() or 1)
    if workers > 1 and hasattr(os, "fork"):
        outcomes = _forked_map(_ascii_one, names, workers)
    else:
        outcomes = [_ascii_one(name) for name in names]
    failures = []
    for name, (reason, notes) in zip(names, outcomes):
        for note in notes:
            print(f"note: {name}: {note}", file=sys.stderr)
        if reason:
            print(f"error: {name}: {reason}", file=sys.stderr)
            failures.append({"name": Path(name).name, "reason": reason})
    done = [name for name, (reason, _) in zip(names, outcomes) if not reason]
    if arguments.contact_sheet and done:
        write_contact_sheet(output_dir, done)
    if arguments.zip:
        write_zip(
            output_dir,
            arguments.zip,
            [f"{Path(name).stem}.{kind}" for name in done for kind in formats],
            failures,
            stamp,
        )
    return EXIT_BAD_INPUT if failures else 0


def _run_sweep(arguments, config) -> int:
    """``ascii --sweep``: each IMAGE through every cell of the sweep, and a grid per image."""
    from core import images, provenance, sweep, tools
    from core.ascii import AsciiConfig
    from core.ascii import sweep as ascii_sweep

    if len(arguments.sweep) > sweep.MAX_AXES:
        raise ValueError(f"--sweep is given once or twice (a grid of two settings), not {len(arguments.sweep)} times.")
    if arguments.frames == "all":
        raise ValueError("--sweep draws the first frame of each picture; it cannot go with --frames all.")
    axes = [sweep.parse_axis(AsciiConfig, text) for text in arguments.sweep]
    cells = sweep.cells(config, axes)  # every cell checked before any picture is read
    output_dir = Path(arguments.output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    failures = 0
    for name in arguments.images:
        try:
            picture = images.load_image(name)
        except ValueError as error:
            print(f"error: {name}: {error}", file=sys.stderr)
            failures += 1
            continue
        inputs = {Path(name).name: provenance.file_sha256(name)}

        def stamp_of(cell, inputs=inputs):
            return None if arguments.no_settings else tools.make_stamp("ascii", cell.config, inputs=inputs)

        pictures, stem = [None] * len(cells), Path(name).stem
        for cell, rendered, png, _seconds in ascii_sweep.run(picture, cells, stamp_of=stamp_of):
            (output_dir / f"{stem}-{cell.name}.png").write_bytes(png)
            pictures[cell.index] = rendered
        grid = sweep.grid(pictures, axes, title=f"{Path(name).name}: " + ascii_sweep._title(config, axes))
        target = output_dir / f"{stem}-sweep.png"
        grid.save(target)
        if not arguments.no_settings:  # the grid carries the settings held across it
            provenance.embed_file(target, tools.make_stamp("ascii", config, inputs=inputs))
        print(f"{name}: {len(cells)} cells and the grid {target}")
    return EXIT_BAD_INPUT if failures else 0


_ASCII_BATCH = None  # (config, font, formats, output dir, all frames, stamp) of the running ``ascii`` command
STAMPED_FORMATS = ("txt", "html", "svg", "png")  # an ANSI file is printed as it is; a GIF has no place for text


def _forked_map(function, names: list[str], workers: int) -> list:
    """``[function(name) for name in names]`` over ``workers`` processes: interleaved chunks,
    one per forked child, the first done here; each child sends its results back through a
    pipe as JSON.

    Processes, not threads: a conversion is a dozen short NumPy calls, and threads spent much
    of their time waiting for the GIL (24 photos at 160 columns: 0.56 s in two threads, 0.36 s
    forked). Plain fork rather than multiprocessing.Pool: the pool's imports and start-up cost
    about 25 ms, a tenth of a 24-photo batch. Children inherit the parsed font and the glyph
    table, so they start warm.
    """
    chunks = [names[first::workers] for first in range(workers)]  # interleaved: alike mixes of sizes
    children = []
    for chunk in chunks[1:]:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: convert its chunk, report, and leave without any cleanup
            os.close(read)
            try:
                payload = json.dumps([function(name) for name in chunk])
            except BaseException as error:  # noqa: BLE001 (reported per image by the parent)
                payload = json.dumps([(f"the worker process failed: {error}", [])] * len(chunk))
            with os.fdopen(write, "w") as pipe:
                pipe.write(payload)
            os._exit(0)
        os.close(write)
        children.append((pid, read, len(chunk)))
    results = [None] * len(names)
    results[0::workers] = [function(name) for name in chunks[0]]
    for first, (pid, read, count) in enumerate(children, start=1):
        with os.fdopen(read) as pipe:
            payload = pipe.read()
        os.waitpid(pid, 0)
        results[first::workers] = json.loads(payload) if payload else [("the worker process died", [])] * count
    return results


def _ascii_one(name: str) -> tuple[str, list[str]]:
    """Convert and write one image of the ``ascii`` batch: (the reason it failed or '', notes)."""
    import core.ascii as ascii_art
    from core import images, provenance

    config, font, formats, output_dir, all_frames, stamp = _ASCII_BATCH
    # Mono output needs only brightness (a JPEG then decodes about 4x faster), and a big JPEG
    # can decode at 1/2, 1/4 or 1/8 scale (its DCT scaling) when that still gives 3 pixels per
    # sample column of 4: on the bench photos SSIM at cell scale did not drop (160 columns from
    # a 1/2-scale decode: 0.510 against 0.507; 80 columns from 1/4: 0.512 against 0.506).
    need = config.columns * ascii_art.SAMPLES_ACROSS * 3 // 4
    grey = config.colour_mode == "mono"
    notes = []
    try:
        if all_frames:
            frames, durations, notes = images.load_frames(name, grey=grey)
        else:
            frames, durations = [images.load_image(name, draft_size=(need, 1), grey=grey)], None
        results = ascii_art.convert_frames(frames, config, font)
    except ValueError as error:
        return str(error), notes
    notes = notes + list(results[0].notes)
    if stamp is not None:
        stamp = dataclasses.replace(stamp, inputs={Path(name).name: provenance.file_sha256(name)})
    for format in formats:
        target = output_dir / f"{Path(name).stem}.{format}"
        if format == "gif" or (all_frames and format != "svg"):
            data = ascii_art.export_frames(results, format, durations)
        else:
            data = ascii_art.export(results[0], format)
            if all_frames:
                notes.append(f"{format} holds the first frame only.")
        if stamp is not None and format in STAMPED_FORMATS:
            data = provenance.embed(data, format, stamp)  # its settings inside, for --settings and the pages
        try:
            target.write_bytes(data)
        except OSError as error:  # a full disk or a read-only folder: say so, keep going
            return f"could not write {target}: {error.strerror or error}", notes
    return "", notes


def add_video(tools) -> None:
    command = clip_command(
        tools, "ascii-video", "a video clip as ASCII art (an MP4 of the text, and a playing HTML page)"
    )
    command.add_argument("--html", default="", help="also write the frames as a page of text that plays")
    add_ascii_settings(command)
    command.set_defaults(handler=run_ascii_video)


def run_ascii_video(arguments) -> int:
    from core.ascii import video

    config = ascii_config(arguments)
    status = run_clip(
        lambda output: video.ascii_clip(
            arguments.clip, output, config, html_output=arguments.html or None, max_seconds=arguments.max_seconds
        ),
        arguments,
        video.clip_plan(arguments.clip, config, arguments.max_seconds),
    )
    stamp_outputs("ascii", config, [arguments.output, arguments.html], inputs=input_hashes([arguments.clip]))
    return status
