"""Compressed input files: ``contacts.csv.gz``, ``events.ndjson.bz2``, ``export.zip``.

CRM and warehouse exports often arrive compressed: a nightly dump to a bucket as
``.csv.gz``, a HubSpot or Salesforce export as a ``.zip`` holding one CSV. Such a
file is decompressed in memory, whole (as standard input is read), and its data
read as that of the file inside: the format comes from the name without the
compression's extension (``contacts.csv.gz`` is CSV), or from the archive
member's name. Messages still name the file given, with the line numbers of its
decompressed text.

Standard input is recognised by its first bytes instead (gzip, bzip2, xz), so
``curl .../export.csv.gz | leadq score -`` needs no ``gzip -d`` in between (a
zip archive is not: an Excel workbook on standard input is one). A CSV or NDJSON
file compressed under a plain name (a download saved as ``export.csv`` with its
transfer encoding left on) is recognised the same way. zstd data, which the standard
library of Python 3.11 cannot read, is recognised so too, and refused with the command that
decompresses it (as a ``.zst`` name is), rather than read as text.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import re
import stat
import zipfile
import zlib
from typing import BinaryIO, Callable

from leadq.errors import InputError, Position, UsageError, os_reason

# Compression by file extension (lower case).
COMPRESSION_BY_EXTENSION = {".gz": "gzip", ".gzip": "gzip", ".bz2": "bzip2", ".xz": "xz", ".zip": "zip"}
# Compressions leadq names in its hint but cannot read with the standard library.
UNREADABLE_COMPRESSION = {".zst": "zstd -d", ".zstd": "zstd -d", ".lz4": "lz4 -d", ".7z": "7z x", ".rar": "unrar x"}

# First bytes of each compression's data (bzip2: "BZh", the block size 1-9, then a block's or the
# empty stream's end marker), strict enough that no text header starts so.
_MAGIC = re.compile(rb"\x1f\x8b\x08|BZh[1-9](?:1AY&SY|\x17rE8P\x90)|\xfd7zXZ\x00")
_MAGIC_BYTES = 10
# A zstd frame's magic number (0xFD2FB528, little-endian).
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_COMPRESSION_BY_MAGIC = {0x1F: "gzip", ord("B"): "bzip2", 0xFD: "xz"}
# Readers that decompress a file object as they read it: the compressed bytes are never held whole.
_DECOMPRESSING_READER: dict[str, Callable[[BinaryIO], BinaryIO]] = {
    "gzip": lambda fh: gzip.GzipFile(fileobj=fh), "bzip2": bz2.BZ2File, "xz": lzma.LZMAFile}  # type: ignore[dict-item]


def compression_of(path: str) -> str | None:
    """The compression ``path``'s extension names (``"gzip"``, ``"bzip2"``, ``"xz"``, ``"zip"``), else None."""
    return COMPRESSION_BY_EXTENSION.get(os.path.splitext(path)[1].lower())


def unreadable_compression_hint(path: str) -> str | None:
    """For a file compressed in a way leadq cannot read, how to decompress it first; else None."""
    hint = tar_archive_hint(path)
    if hint is not None:
        return hint
    command = UNREADABLE_COMPRESSION.get(os.path.splitext(path)[1].lower())
    if command is None:
        return None
    return f"{path} is compressed in a format leadq cannot read; decompress it first ({command} {path})"


def tar_archive_hint(path: str) -> str | None:
    """For a tar archive (``.tar``, ``.tar.gz``, ``.tgz`` ...), how to get the file out of it; else None.

    A tar archive holds files, as a zip does, but leadq reads no tar: "the file inside is x.tar;
    pass --input-format" sent the user to read the archive's bytes as CSV.
    """
    stem, ext = os.path.splitext(path.lower())
    if ext in (".tar", ".tgz", ".tbz2", ".txz") or (ext in COMPRESSION_BY_EXTENSION and stem.endswith(".tar")):
        return (f"{path} is a tar archive, which leadq does not read; extract the file to read first "
                f"(tar -xf {path}) and pass that file")
    return None


def read_compressed_file(path: str, compression: str) -> tuple[bytes, str]:
    """The decompressed data of ``path``, and the name its format is told by.

    The name is ``path`` without its compression extension, or, for a zip
    archive, the name of its one data file.

    Raises:
        InputError: The file cannot be read, is not valid ``compression`` data, or
            is a zip archive that does not hold exactly one data file.
    """
    hint = tar_archive_hint(path)
    if hint is not None:  # before its bytes are decompressed only to be refused
        raise UsageError(hint)
    try:
        if compression == "zip":
            return _read_zip_member(path)
        with open(path, "rb") as fh:
            _refuse_empty_file(fh, compression, path)
            return _decompress(fh, compression, path), os.path.splitext(path)[0]
    except OSError as exc:
        raise InputError(f"cannot read {path}: {os_reason(exc)}") from exc


# The size of the compressed data of nothing: no file of the compression is smaller.
_EMPTY_STREAM_BYTES = {"gzip": 20, "bzip2": 14, "xz": 32}


def _refuse_empty_file(fh: BinaryIO, compression: str, path: str) -> None:
    """Refuse a regular file of 0 bytes named as compressed data: a download or copy that failed.

    Even the compressed data of nothing has a header (a ``.gz`` of an empty file is 20 bytes), so
    0 bytes is no valid file of the compression; read as "no rows" it made a nightly run score
    nothing, or a day's events count for nothing, and exit 0. (A zip archive of 0 bytes is refused as
    no archive already; a named pipe is read by its content, never by this.)

    Raises:
        InputError: naming the file and what probably happened.
    """
    status = os.fstat(fh.fileno())
    if stat.S_ISREG(status.st_mode) and status.st_size == 0:
        raise InputError(f"this {compression} file is cut short (0 bytes; even the {compression} data of an empty "
                         f"file is {_EMPTY_STREAM_BYTES[compression]} bytes): the download or copy failed? Fetch or "
                         "copy it again", Position(path))


def decompress_stdin(raw: bytes, label: str) -> bytes:
    """Standard input's bytes, decompressed when they start as gzip, bzip2 or xz data does.

    Raises:
        InputError: They are zstd data (how to decompress them first), or not valid data of their compression.
    """
    compression = _compression_by_content(raw[:_MAGIC_BYTES], label, stream=True)
    return raw if compression is None else _decompress(io.BytesIO(raw), compression, label)


def read_if_compressed(path: str) -> bytes | None:
    """The decompressed data of a file whose first bytes are gzip, bzip2 or xz data; None for any other file.

    Raises:
        InputError: The file cannot be read, is zstd data (how to decompress it first), or is not valid
            data of its compression.
    """
    try:
        with open(path, "rb") as fh:
            compression = _compression_by_content(fh.read(_MAGIC_BYTES), path, stream=False)
            if compression is None:
                return None
            fh.seek(0)
            return _decompress(fh, compression, path)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {os_reason(exc)}") from exc


def _compression_by_content(head: bytes, label: str, stream: bool) -> str | None:
    """The compression whose data starts with ``head``; None for any other data.

    Raises:
        InputError: ``head`` starts a zstd frame (``label``: the file, or the stream's label; ``stream``:
            standard input or a pipe, decompressed in the pipe rather than to a file).
    """
    if head.startswith(_ZSTD_MAGIC):
        stem, ext = os.path.splitext(label)
        how = "put zstd -dc in the pipe before leadq" if stream else f"zstd -dc {label} > {stem}.decompressed{ext}"
        raise InputError(f"this is zstd-compressed data, which leadq cannot read; decompress it first ({how})",
                         Position(label))
    return _COMPRESSION_BY_MAGIC[head[0]] if _MAGIC.match(head) else None


# A decompression bomb (a few hundred kB that make gigabytes of blank lines) is refused before it fills
# the memory: past BOMB_FLOOR bytes, data that grew more than BOMB_RATIO times its compressed size.
# Real exports compress 5-20 times, rarely 50; gzip's own limit is about 1,000.
BOMB_RATIO = 100
BOMB_FLOOR = 256 * 1024 * 1024
_CHUNK = 16 * 1024 * 1024


def read_guarded(reader: BinaryIO, compressed_size: int, what: str, label: str) -> bytes:
    """Everything ``reader`` decompresses to, read in chunks (a signal is acted on between them).

    ``compressed_size``: the compressed data's size in bytes (0: unknown, and not judged).

    Raises:
        InputError: The data grew past :data:`BOMB_FLOOR` and :data:`BOMB_RATIO` times ``compressed_size``.
    """
    chunks: list[bytes] = []
    total = 0
    while chunk := reader.read(_CHUNK):
        chunks.append(chunk)
        total += len(chunk)
        if compressed_size and total > BOMB_FLOOR and total > BOMB_RATIO * compressed_size:
            raise InputError(f"this {what} data decompresses to more than {total // 2**20:,} MiB, over "
                             f"{BOMB_RATIO} times its {compressed_size:,} bytes: a decompression bomb, or an export "
                             "of mostly repeated lines; if it is genuine, decompress it first and pass the "
                             "decompressed file", Position(label))
    return b"".join(chunks)


def _decompress(fh: BinaryIO, compression: str, label: str) -> bytes:
    """Everything ``fh`` decompresses to; data errors (not the opening of the file) as an InputError."""
    try:
        size = os.fstat(fh.fileno()).st_size
    except (OSError, AttributeError, io.UnsupportedOperation):  # standard input's bytes, in memory
        size = len(fh.getbuffer()) if isinstance(fh, io.BytesIO) else 0
    try:
        with _DECOMPRESSING_READER[compression](fh) as reader:
            return read_guarded(reader, size, compression, label)
    except (OSError, EOFError, zlib.error, lzma.LZMAError, ValueError) as exc:
        raise InputError(f"this is not valid {compression} data, or the file was cut short ({exc}); "
                         "check the download or export", Position(label)) from exc


def _read_zip_member(path: str) -> tuple[bytes, str]:
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if not m.is_dir() and not is_archive_extra(m.filename)]
            if len(members) != 1:
                names = ", ".join(m.filename for m in members[:5]) + (", ..." if len(members) > 5 else "")
                what = f"holds {len(members)} files ({names})" if members else "holds no file"
                example = members[0].filename if members else "FILE"
                raise InputError(f"this zip archive {what}; leadq reads an archive of one file. Extract the one "
                                 f"to read and pass that file (unzip '{path}' '{example}')", Position(path))
            member = members[0]
            with archive.open(member) as reader:
                return read_guarded(reader, member.compress_size, "zip", path), member.filename
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
        raise InputError(f"this is not a zip archive leadq can read ({exc}); check the download or export",
                         Position(path)) from exc


def is_archive_extra(name: str) -> bool:
    """macOS's resource forks (``__MACOSX/``) and dot files, which archivers add beside the data."""
    return name.startswith("__MACOSX/") or os.path.basename(name).startswith(".")
