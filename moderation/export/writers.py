"""Writers: rows as CSV or JSON Lines, the codebook as JSON, and a ZIP streamed as it is
written; `_iso`, how every time is written (UTC, ISO 8601, Z)."""

import csv
import io
import json
import zipfile
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime

from moderation.export.columns import FORMULA_STARTS

ZIP_FLUSH = 256 * 1024  # bytes of compressed output gathered before they are sent

FORMATS = ("csv", "jsonl")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "jsonl": "application/x-ndjson; charset=utf-8",
    "json": "application/json; charset=utf-8",
    "zip": "application/zip",
}


class _Bare:
    """A CSV cell written as it is, never quoted. The rows are written with QUOTE_NONNUMERIC,
    which quotes every cell but numbers and takes for a number whatever converts to float:
    these do (never called), so null stays an empty cell and a boolean a bare true / false,
    beside `""`, the empty text (what Python 3.12's QUOTE_STRINGS does, on 3.11 too)."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text

    def __str__(self) -> str:
        return self.text

    def __float__(self) -> float:
        raise TypeError("a CSV cell written bare, not a number")


NULL, TRUE, FALSE = _Bare(""), _Bare("true"), _Bare("false")


def _cell(value):
    if value is None:
        return NULL
    if isinstance(value, bool):
        return TRUE if value else FALSE
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def as_text(value):
    """A CSV cell a spreadsheet will not run: text that would start a formula gets a leading
    apostrophe (columns.CSV_TEXT_RULE). Only for CSV: JSON Lines keep the exact text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_row(cells) -> list:
    """A row's cells as the CSV writer takes them: None the null cell, text made safe."""
    return [NULL if cell is None else as_text(cell) for cell in cells]


def csv_header(columns: list[str]) -> bytes:
    """The header row: column names, which need no quotes (csv.writer adds none)."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow(csv_row(columns))
    return buffer.getvalue().encode()


def csv_writer(buffer):
    """The rows' writer (`columns.CSV_QUOTING_RULE`): every text cell quoted, `""` for an
    empty one; numbers, booleans and null (an empty cell) bare; RFC 4180 doubled quotes."""
    return csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC)


def write_csv(columns: list[str], batches: Iterable[list[dict]]) -> Iterator[bytes]:
    """A header row, then one block of lines per batch of rows."""
    yield csv_header(columns)
    buffer = io.StringIO()
    writer = csv_writer(buffer)
    for batch in batches:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(csv_row(_cell(row[name]) for name in columns) for row in batch)
        yield buffer.getvalue().encode()


# json.dumps(row, ensure_ascii=False) makes an encoder per call; one reused writes the same.
_encode = json.JSONEncoder(ensure_ascii=False).encode


def write_jsonl(batches: Iterable[list[dict]]) -> Iterator[bytes]:
    """One JSON object per line, UTF-8, not ASCII-escaped; one block per batch."""
    encode = _encode
    for batch in batches:
        if batch:
            yield "".join([encode(row) + "\n" for row in batch]).encode()


def codebook_bytes(codebook: dict) -> bytes:
    return (json.dumps(codebook, ensure_ascii=False, indent=2) + "\n").encode()


class _Pipe:
    """A write-only file for ZipFile that hands what was written to a generator."""

    def __init__(self):
        self.buffer = bytearray()

    def write(self, data) -> int:
        self.buffer += data
        return len(data)

    def flush(self):
        pass

    def take(self) -> bytes:
        data = bytes(self.buffer)
        self.buffer.clear()
        return data


def write_zip(
    files: Iterable[tuple[str, Callable[[], Iterable[bytes]]]], moment: datetime
) -> Iterator[bytes]:
    """A ZIP written as it is sent: ZipFile on an unseekable pipe writes each member's sizes
    after its data, so nothing is held back but the compressor's window."""
    pipe = _Pipe()
    stamp = moment.astimezone(UTC).timetuple()[:6]
    with zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            with archive.open(info, "w", force_zip64=True) as member:
                for chunk in content():
                    member.write(chunk)
                    if len(pipe.buffer) >= ZIP_FLUSH:
                        yield pipe.take()
            yield pipe.take()
    yield pipe.take()


def _iso(moment: datetime | date | None) -> str | None:
    if moment is None:
        return None
    if isinstance(moment, datetime):
        return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return moment.isoformat()
