"""PDF files cut from the documents fpdf2 draws: one file per letter, and the merged one.

Letters are drawn in chunks, one fpdf2 document per chunk (see
:mod:`~lottery.publish.letters.workers`). A letter's pages are copied out of its chunk
byte for byte: the objects the pages use (content streams, resources, fonts) are
renumbered and written with a new catalog and page tree (:class:`PdfFile`). Nothing is
parsed into PDF objects or compressed again: copying the pages with pypdf, as Python
objects, took longer than drawing them.

:class:`ChunkPdf` reads only what fpdf2 writes: a classic cross-reference table, each
object ``N 0 obj ... endobj`` at the offset the table gives, references written
``N 0 R`` outside streams, one flat page tree. Anything else raises ``ValueError`` (a
bug, not something an office can cause).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import BinaryIO

_OBJECT_START = re.compile(rb"(\d+) 0 obj\s")
_REFERENCE = re.compile(rb"(\d+) 0 R\b")
_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")
_ROOT = re.compile(rb"/Root (\d+) 0 R")
_PAGES = re.compile(rb"/Pages (\d+) 0 R")
_KIDS = re.compile(rb"/Kids\s*\[([^\]]*)\]")
_MEDIA_BOX = re.compile(rb"/MediaBox\s*\[[^\]]*\]")
_STREAM = b"\nstream\n"
_BINARY_COMMENT = b"%\xe2\xe3\xcf\xd3\n"  # tells file-transfer tools the file is binary


@dataclass(frozen=True)
class _Object:
    """One object of a chunk: its value split around the references it holds
    (``text, number, text, number, ..., text``), and its stream as written."""

    parts: tuple[bytes | int, ...]
    stream: bytes | memoryview

    @property
    def references(self) -> tuple[int, ...]:
        return self.parts[1::2]  # type: ignore[return-value]


class ChunkPdf:
    """The objects of one PDF document written by fpdf2, and its pages in order."""

    def __init__(self, data: bytes):
        self.data = data
        view = memoryview(data)
        end = _STARTXREF.search(data, len(data) - 64)
        if end is None:
            raise ValueError("not a PDF written by fpdf2: no startxref at its end")
        xref = int(end.group(1))
        lines = data[xref : data.index(b"trailer", xref)].split(b"\n")
        if lines[0].strip() != b"xref" or lines[1].split()[0] != b"0":
            raise ValueError("not a PDF written by fpdf2: one cross-reference section expected")
        offsets = {
            number: int(entry[:10])
            for number, entry in enumerate(lines[2:])
            if entry[17:18] == b"n"
        }
        self.header = data[: min(offsets.values())]
        ends = sorted(offsets.values()) + [xref]
        next_offset = dict(zip(ends, ends[1:], strict=False))
        self.objects: dict[int, _Object] = {}
        for number, start in offsets.items():
            found = _OBJECT_START.match(data, start)
            if found is None or int(found.group(1)) != number:
                raise ValueError(f"not a PDF written by fpdf2: object {number} not at {start}")
            stop = data.rindex(b"endobj", start, next_offset[start])
            stream_at = data.find(_STREAM, found.end(), stop)
            head_end = stop if stream_at < 0 else stream_at + 1
            head = data[found.end() : head_end]
            pieces = _REFERENCE.split(head)
            parts = tuple(int(p) if k % 2 else p for k, p in enumerate(pieces))
            self.objects[number] = _Object(parts, view[head_end:stop] if stream_at >= 0 else b"")
        trailer = data[data.index(b"trailer", xref) :]
        catalog = self._text(int(_ROOT.search(trailer).group(1)))
        self.pages_root = int(_PAGES.search(catalog).group(1))
        root = self._text(self.pages_root)
        self.pages = [int(n) for n in _REFERENCE.findall(_KIDS.search(root).group(1))]
        media_box = _MEDIA_BOX.search(root)
        self.media_box = media_box.group(0) if media_box else b""

    def _text(self, number: int) -> bytes:
        parts = self.objects[number].parts
        return b"".join(p if isinstance(p, bytes) else b"%d 0 R" % p for p in parts)


class PdfFile:
    """A PDF file written from pages of chunks, in the order they are added.

    The catalog is object 1 and the page tree object 2; each :meth:`add_pages` call
    brings the objects its pages reach (fonts once per call), renumbered after the
    objects written before.
    """

    def __init__(self, handle: BinaryIO):
        self.handle = handle
        self.written = 0
        self.offsets: list[int] = [0, 0, 0]  # objects 1 and 2 are written last
        self.kids: list[int] = []
        self.header = b""
        self.media_box = b""

    def _write(self, data: Iterable[bytes | memoryview]) -> None:
        for piece in data:
            self.handle.write(piece)
            self.written += len(piece)

    def add_pages(self, chunk: ChunkPdf, pages: Iterable[int]) -> None:
        """Copy pages of ``chunk`` (indices from 0) and everything they use."""
        if not self.header:
            self.header = chunk.header.split(b"\n", 1)[0] + b"\n" + _BINARY_COMMENT
            self.media_box = chunk.media_box
            self._write([self.header])
        elif chunk.media_box != self.media_box:
            raise ValueError("chunks of different paper sizes cannot share a page tree")
        numbers = {chunk.pages_root: 2}  # a page's /Parent is the new page tree
        order = [chunk.pages[k] for k in pages]
        for old in order:
            numbers[old] = len(self.offsets) + len(numbers) - 1
        self.kids += [numbers[old] for old in order]
        for old in order:  # the queue grows as objects are reached
            for reference in chunk.objects[old].references:
                if reference not in numbers:
                    numbers[reference] = len(self.offsets) + len(numbers) - 1
                    order.append(reference)
        pieces: list[bytes | memoryview] = []
        written = self.written
        for old in order:
            found = chunk.objects[old]
            self.offsets.append(written)
            text = b"".join(
                [b"%d 0 obj\n" % numbers[old]]
                + [p if isinstance(p, bytes) else b"%d 0 R" % numbers[p] for p in found.parts]
            )
            pieces += [text, found.stream, b"endobj\n"]
            written += len(text) + len(found.stream) + 7
        self._write(pieces)

    def close(self) -> None:
        """Write the page tree, the catalog, the cross-reference table and the trailer."""
        kids = b" ".join(b"%d 0 R" % kid for kid in self.kids)
        tree = b"<<\n/Type /Pages\n/Count %d\n/Kids [%s]\n%s\n>>" % (
            len(self.kids),
            kids,
            self.media_box,
        )
        for number, text in ((2, tree), (1, b"<<\n/Type /Catalog\n/Pages 2 0 R\n>>")):
            self.offsets[number] = self.written
            self._write([b"%d 0 obj\n%s\nendobj\n" % (number, text)])
        xref = self.written
        table = [b"xref\n0 %d\n0000000000 65535 f \n" % len(self.offsets)]
        table += [b"%010d 00000 n \n" % offset for offset in self.offsets[1:]]
        table.append(
            b"trailer\n<<\n/Size %d\n/Root 1 0 R\n>>\nstartxref\n%d\n%%%%EOF\n"
            % (len(self.offsets), xref)
        )
        self._write(table)


def write_pdf(path, chunk: ChunkPdf, pages: Iterable[int]) -> None:
    """Write pages of ``chunk`` (indices from 0) as the PDF file ``path``."""
    with open(path, "wb") as handle:
        pdf = PdfFile(handle)
        pdf.add_pages(chunk, pages)
        pdf.close()
