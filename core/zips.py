"""Reading a zip a user uploaded, safely: one reader for every tool that takes zips.

Checks before anything is read or written: it is a zip, no member name leaves the archive's own
tree (``../``, absolute paths, drive letters), and the counts and sizes are within limits (a
zip bomb is refused by its declared sizes). Hidden files and macOS's ``__MACOSX`` folder are
left out of the listing.
"""

from __future__ import annotations

import dataclasses
import io
import zipfile
from pathlib import PurePosixPath

MAX_MEMBERS = 20_000
MAX_BYTES = 2 * 10**9  # unpacked


@dataclasses.dataclass
class ZipFile:
    archive: zipfile.ZipFile
    members: list[tuple[PurePosixPath, zipfile.ZipInfo]]  # files only, with their normalised paths

    def read(self, member: zipfile.ZipInfo) -> bytes:
        return self.archive.read(member)


def open_zip(data: bytes, *, max_members: int = MAX_MEMBERS, max_bytes: int = MAX_BYTES) -> ZipFile:
    """The archive and its files, or a ValueError that says why it cannot be used."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ValueError("This file is not a zip archive.") from None
    files = [member for member in archive.infolist() if not member.is_dir()]
    for member in files:
        name = member.filename.replace("\\", "/")
        if name.startswith("/") or ".." in name.split("/") or (len(name) > 1 and name[1] == ":"):
            raise ValueError(f"The zip holds an unsafe path ({member.filename!r}); nothing from it was used.")
    if len(files) > max_members:
        raise ValueError(f"The zip holds {len(files)} files; the limit is {max_members}.")
    if sum(member.file_size for member in files) > max_bytes:
        raise ValueError(f"The zip unpacks to more than {max_bytes / 1e9:.0f} GB; use a smaller set.")
    listed = []
    for member in files:
        path = PurePosixPath(member.filename.replace("\\", "/"))
        if path.name.startswith(".") or "__MACOSX" in path.parts:
            continue
        listed.append((path, member))
    return ZipFile(archive, listed)
