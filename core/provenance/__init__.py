"""Settings inside every output file: what made a picture, a clip, a page of text or a zip travels
with it, so a result can be opened again (on a page, or with ``--settings FILE``) and its settings
read back (``python -m core info FILE``), as ComfyUI and A1111 put theirs inside their PNGs.

A ``Stamp`` is one JSON document: the tool, its config (as the tool's dataclass turns into JSON),
the seed, Atelier's version and commit, the SHA-256 of the weights it used, the SHA-256 of its
inputs, the run it came from and the run that run came from. It goes where each format keeps text:

    PNG         a tEXt chunk keyed ``atelier`` (inserted without decoding the picture)
    JPEG, WebP  EXIF ImageDescription (JPEG: an APP1 segment; WebP: an EXIF chunk; neither encoded again)
    MP4         the container's ``comment`` tag (the streams copied, not encoded again)
    TXT         a first line ``atelier-settings: {...}`` and a blank line
    HTML, SVG   a comment ``<!-- atelier-settings {...} -->`` at the top
    zip         a member ``atelier-settings.json``
    JSON        the document itself (a settings file)

Reading never trusts the file: a file without settings, with broken JSON, from a newer Atelier, or
naming a tool this Atelier does not have raises ``ValueError`` with a sentence for the person.
"""

from core.provenance.formats import embed, embed_file, read, read_file, sniff, stamp_mp4
from core.provenance.stamp import (
    FORMAT_VERSION,
    KINDS,
    MARKER,
    SUFFIXES,
    ZIP_MEMBER,
    Stamp,
    bytes_sha256,
    commit,
    describe,
    file_sha256,
    kind_of,
    now,
)

__all__ = [
    "FORMAT_VERSION",
    "KINDS",
    "MARKER",
    "SUFFIXES",
    "ZIP_MEMBER",
    "Stamp",
    "bytes_sha256",
    "commit",
    "describe",
    "embed",
    "embed_file",
    "file_sha256",
    "kind_of",
    "now",
    "read",
    "read_file",
    "sniff",
    "stamp_mp4",
]
