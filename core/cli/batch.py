"""What the commands that take many pictures share: folders, zips and quoted globs as picture files."""

from __future__ import annotations

from pathlib import Path


def expand_inputs(names: list[str], unpacked: Path) -> list[str]:
    """Each IMAGE as picture files: a folder's pictures (by name), a zip's (unpacked into ``unpacked``;
    a member that is not a picture is left out), a quoted glob's matches; anything else as given
    (a missing file is reported with the others). ValueError for a folder, zip or glob with none."""
    import glob

    from core import images, zips

    found: list[str] = []
    for name in names:
        path = Path(name)
        if path.is_dir():
            pictures = sorted(str(p) for p in path.iterdir() if p.suffix.lower().lstrip(".") in images.UPLOAD_TYPES)
        elif path.suffix.lower() == ".zip" and path.is_file():
            archive = zips.open_zip(path.read_bytes())
            pictures = []
            for index, (member_path, member) in enumerate(archive.members):
                if member_path.suffix.lower().lstrip(".") in images.UPLOAD_TYPES:
                    target = unpacked / f"{index:04d}" / member_path.name  # (a folder each: names may repeat)
                    target.parent.mkdir()
                    target.write_bytes(archive.read(member))
                    pictures.append(str(target))
        elif not path.exists() and any(mark in name for mark in "*?["):
            pictures = sorted(glob.glob(name, recursive=True))
        else:
            found.append(name)
            continue
        if not pictures:
            raise ValueError(f"{name} holds no pictures ({', '.join(images.UPLOAD_TYPES)}).")
        found.extend(pictures)
    return found
