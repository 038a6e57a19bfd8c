"""Where each format keeps the stamp: written without decoding a picture where the format allows
(a PNG chunk, a JPEG segment), read back without trusting the file."""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from pathlib import Path

from core.provenance.stamp import (
    EXIF_DESCRIPTION,
    KINDS,
    MARKER,
    PNG_KEY,
    PNG_SIGNATURE,
    ZIP_MEMBER,
    Stamp,
    kind_of,
)

# --- writing ----------------------------------------------------------------------------------------


def embed(data: bytes, kind: str, stamp: Stamp) -> bytes:
    """``data`` (a file of format ``kind``) with ``stamp`` inside it, replacing any stamp it had."""
    text = stamp.to_json()
    if kind == "png":
        return _png_with_text(data, PNG_KEY, text)
    if kind == "jpeg":
        return _jpeg_with_exif(data, text)
    if kind == "webp":
        return _webp_with_exif(data, text)
    if kind == "mp4":
        return _mp4_with_comment(data, text)
    if kind == "txt":
        return f"{MARKER}: {text}\n\n".encode() + _without_txt_stamp(data)
    if kind in ("html", "svg"):
        return _markup_with_comment(data, text)
    if kind == "zip":
        return _zip_with_member(data, text)
    if kind == "json":
        return text.encode()
    raise ValueError(f"Settings cannot go inside a {kind!r} file; formats: {', '.join(KINDS)}.")


def embed_file(path: str | Path, stamp: Stamp) -> None:
    """Put ``stamp`` inside the file at ``path`` (its format from its bytes, else its suffix), in place."""
    path = Path(path)
    data = path.read_bytes()
    path.write_bytes(embed(data, sniff(data) or kind_of(path), stamp))


def sniff(data: bytes) -> str | None:
    """The format the bytes are, for the binary ones (a .jpg that holds a PNG is a PNG)."""
    if data.startswith(PNG_SIGNATURE):
        return "png"
    if data.startswith(b"\xff\xd8"):
        return "jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:4] == b"PK\x03\x04":
        return "zip"
    if data[4:8] == b"ftyp":
        return "mp4"
    return None


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def _png_chunks(data: bytes):
    if not data.startswith(PNG_SIGNATURE):
        raise ValueError("This is not a PNG file.")
    offset = len(PNG_SIGNATURE)
    while offset + 8 <= len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        end = offset + 12 + length
        if end > len(data):
            raise ValueError("The PNG file is cut short.")
        yield kind, data[offset + 8 : offset + 8 + length], offset, end
        offset = end


def _png_with_text(data: bytes, key: str, text: str) -> bytes:
    # tEXt is Latin-1; the document is JSON with every non-ASCII character escaped, so it fits.
    chunk = _png_chunk(b"tEXt", key.encode("latin-1") + b"\0" + text.encode("ascii"))
    kept, placed = [PNG_SIGNATURE], False
    for kind, body, start, end in _png_chunks(data):
        if kind == b"tEXt" and body.split(b"\0", 1)[0] == key.encode("latin-1"):
            continue  # the old stamp
        if kind in (b"IDAT", b"IEND") and not placed:
            kept.append(chunk)  # before the picture data, so a reader that stops early still sees it
            placed = True
        kept.append(data[start:end])
    return b"".join(kept)


def _exif_bytes(text: str) -> bytes:
    from PIL import Image

    exif = Image.Exif()
    exif[EXIF_DESCRIPTION] = text
    return exif.tobytes()  # b"Exif\0\0" + the TIFF structure


def _jpeg_with_exif(data: bytes, text: str) -> bytes:
    if not data.startswith(b"\xff\xd8"):
        raise ValueError("This is not a JPEG file.")
    payload = _exif_bytes(text)
    if len(payload) + 2 > 0xFFFF:
        raise ValueError("The settings are too long for a JPEG's EXIF segment.")
    segment = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    # Drop an earlier Exif segment (ours or the camera's: a result's EXIF describes the result).
    offset, kept = 2, [b"\xff\xd8", segment]
    while offset + 4 <= len(data) and data[offset] == 0xFF and data[offset + 1] in range(0xE0, 0xF0):
        (length,) = struct.unpack(">H", data[offset + 2 : offset + 4])
        body = data[offset + 4 : offset + 2 + length]
        if not (data[offset + 1] == 0xE1 and body.startswith(b"Exif\0\0")):
            kept.append(data[offset : offset + 2 + length])
        offset += 2 + length
    kept.append(data[offset:])
    return b"".join(kept)


def _webp_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    if not (data[:4] == b"RIFF" and data[8:12] == b"WEBP"):
        raise ValueError("This is not a WebP file.")
    chunks, offset = [], 12
    while offset + 8 <= len(data):
        kind = data[offset : offset + 4]
        (length,) = struct.unpack("<I", data[offset + 4 : offset + 8])
        if offset + 8 + length > len(data):
            raise ValueError("The WebP file is cut short.")
        chunks.append((kind, data[offset + 8 : offset + 8 + length]))
        offset += 8 + length + (length & 1)  # chunks are padded to an even length
    return chunks


def _webp_with_exif(data: bytes, text: str) -> bytes:
    """An EXIF chunk added to the WebP's chunks, nothing encoded again. A simple WebP (one VP8 or
    VP8L chunk) becomes an extended one: a VP8X header with the EXIF flag and the canvas size."""
    from PIL import Image

    chunks = [(kind, body) for kind, body in _webp_chunks(data) if kind != b"EXIF"]
    if chunks and chunks[0][0] == b"VP8X":
        flags = chunks[0][1][0] | 0x08  # EXIF present
        chunks[0] = (b"VP8X", bytes([flags]) + chunks[0][1][1:])
    else:
        with Image.open(io.BytesIO(data)) as picture:
            width, height = picture.size
            alpha = 0x10 if "A" in picture.getbands() else 0
        header = bytes([0x08 | alpha, 0, 0, 0]) + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
        chunks.insert(0, (b"VP8X", header))
    exif = _exif_bytes(text)
    chunks.append((b"EXIF", exif[6:] if exif.startswith(b"Exif\0\0") else exif))
    body = b"".join(
        kind + struct.pack("<I", len(payload)) + payload + (b"\0" if len(payload) & 1 else b"")
        for kind, payload in chunks
    )
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body


def _mp4_with_comment(data: bytes, text: str) -> bytes:
    import tempfile

    with tempfile.TemporaryDirectory(prefix="atelier-stamp-") as folder:
        source, target = Path(folder) / "in.mp4", Path(folder) / "out.mp4"
        source.write_bytes(data)
        stamp_mp4(source, target, text)
        return target.read_bytes()


def stamp_mp4(source: str | Path, target: str | Path, text: str) -> None:
    """Copy an MP4's streams into ``target`` with ``text`` as its comment tag (no encoding)."""
    import av

    with (
        av.open(str(source)) as reading,
        av.open(str(target), "w", format="mp4", options={"movflags": "+faststart"}) as writing,
    ):
        writing.metadata["comment"] = text
        streams = {}
        for stream in reading.streams:
            if stream.type in ("video", "audio"):
                streams[stream.index] = writing.add_stream_from_template(stream)
        for packet in reading.demux(*[reading.streams[index] for index in streams]):
            if packet.dts is None:
                continue
            packet.stream = streams[packet.stream.index]
            writing.mux(packet)


def _markup_comment(text: str) -> str:
    # "--" may not appear inside an HTML or XML comment; JSON can spell "-" as \u002d instead.
    escaped = text.replace("--", "-\\u002d")
    return f"<!-- {MARKER} {escaped} -->"


_MARKUP_STAMP = re.compile(rb"<!-- " + MARKER.encode() + rb" .*? -->\n?", re.DOTALL)


def _markup_with_comment(data: bytes, text: str) -> bytes:
    data = _MARKUP_STAMP.sub(b"", data, count=1)
    comment = (_markup_comment(text) + "\n").encode()
    # After an XML declaration or a doctype, which must come first; otherwise at the very top.
    match = re.match(rb"\s*(<\?xml[^>]*\?>\s*)?(<!DOCTYPE[^>]*>\s*)?", data, re.IGNORECASE)
    split = match.end() if match else 0
    return data[:split] + comment + data[split:]


def _without_txt_stamp(data: bytes) -> bytes:
    prefix = f"{MARKER}: ".encode()
    if data.startswith(prefix):
        _, _, rest = data.partition(b"\n")
        return rest[1:] if rest.startswith(b"\n") else rest
    return data


def _zip_with_member(data: bytes, text: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as reading, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as writing:
        for member in reading.infolist():
            if member.filename != ZIP_MEMBER:
                writing.writestr(member, reading.read(member))
        writing.writestr(ZIP_MEMBER, text)
    return buffer.getvalue()


# --- reading ----------------------------------------------------------------------------------------


def read(data: bytes, name: str = "") -> Stamp:
    """The stamp inside ``data`` (a file's bytes; ``name`` for the messages and, where the bytes do
    not say, the format). ``ValueError`` when it holds none or a broken one."""
    text = _stamp_text(data, name)
    if text is None:
        shown = f"{Path(name).name} " if name else "This file "
        raise ValueError(
            f"{shown}holds no Atelier settings: it was not made by Atelier, or a program that saved it "
            "again dropped them."
        )
    return Stamp.from_json(text)


def read_file(path: str | Path) -> Stamp:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ValueError(f"Cannot read {path}: {error.strerror or error}.") from None
    return read(data, str(path))


def _stamp_text(data: bytes, name: str) -> str | None:
    if data.startswith(PNG_SIGNATURE):
        for kind, body, _, _ in _png_chunks(data):
            if kind == b"tEXt" and body.split(b"\0", 1)[0] == PNG_KEY.encode():
                return body.split(b"\0", 1)[1].decode("latin-1")
            if kind == b"IEND":
                break
        return None
    if data.startswith(b"\xff\xd8") or (data[:4] == b"RIFF" and data[8:12] == b"WEBP"):
        return _exif_text(data)
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                return archive.read(ZIP_MEMBER).decode() if ZIP_MEMBER in archive.namelist() else None
        except (zipfile.BadZipFile, UnicodeDecodeError) as error:
            raise ValueError(f"The zip file is broken ({error}).") from None
    if data[4:8] == b"ftyp":
        return _mp4_comment(data)
    return _text_stamp(data)


def _exif_text(data: bytes) -> str | None:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as picture:
            value = picture.getexif().get(EXIF_DESCRIPTION)
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        raise ValueError(f"The picture is broken ({error}).") from None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return value if isinstance(value, str) and MARKER in value else None


def _mp4_comment(data: bytes) -> str | None:
    import tempfile

    import av

    with tempfile.NamedTemporaryFile(suffix=".mp4") as handle:
        handle.write(data)
        handle.flush()
        try:
            with av.open(handle.name) as container:
                return container.metadata.get("comment") or None
        except av.FFmpegError as error:
            raise ValueError(f"The video is broken ({error}).") from None


def _text_stamp(data: bytes) -> str | None:
    head = data[:1_000_000]
    stripped = head.lstrip()
    if stripped.startswith(b"{"):
        return head.decode("utf-8", "replace")  # a settings file (JSON) as it is
    prefix = f"{MARKER}: ".encode()
    if head.startswith(prefix):
        return head[len(prefix) :].partition(b"\n")[0].decode("utf-8", "replace")
    match = _MARKUP_STAMP.search(head)
    if match:
        return match.group(0).decode("utf-8", "replace").strip()[len("<!-- " + MARKER) : -len("-->")].strip()
    return None
