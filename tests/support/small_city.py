"""The small, valid city most tests start from, and :class:`City` to edit its files.

A :class:`City` edits its files in place with ``replace_line``, ``delete_line``,
``append``, ``edit``, ``drop_column``, ``select_columns`` and ``write`` (text, raw bytes,
or ``None`` to delete). Files are named ``"programs"`` or ``"programs.csv"``,
``"policy"`` or ``"policy.toml"``. Line numbers count the header as line 1, exactly as
the ``file:line: column: message`` errors do.

The default city: three schools (Elm is a district school, Oak and River are charters),
four programs in two grades, eight applicants with zones, siblings, a continuing
student and a staff child::

    programs.csv
      1  program_id,school_id,school_name,sector,grade,seats,zones
      2  ELM-K,ELM,Elm Elementary,district,K,2,N;E
      3  OAK-K,OAK,Oak Charter Academy,charter,K,1,
      4  ELM-1,ELM,Elm Elementary,district,1,2,N;E
      5  RIV-1,RIV,River School,charter,1,2,S

    applicants.csv  (A1-A4 apply for K, A5-A8 for grade 1)
      1  applicant_id,first_name,last_name,grade,zone,current_school_id,
         sibling_school_ids,staff_school_id,language,guardian_name,address
      2  A1,Ana,Lopez,K,N,,ELM,,es,Maria Lopez,12 Elm St
      ...
      9  A8,Hui,Chen,1,S,,,,zh,Ivy Chen,

    choices.csv  (A1 on lines 2-3, A2 4-5, A3 6-7, A4 8, A5 9-10, A6 11-12, A7 13-14, A8 15)
      1  applicant_id,rank,program_id
      2  A1,1,ELM-K
      ...
     15  A8,1,RIV-1

Kindergarten is over-subscribed (4 applicants, 3 seats), grade 1 is not (4 and 4); every
program is ranked and every applicant ranks a program, so ``lottery validate`` warns
about kindergarten only. Under the default policy priorities alone settle every
contested seat, so the placements are the same for every seed: A2 is unplaced, A3 gets
her second choice and everyone else their first.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

PROGRAMS = """\
program_id,school_id,school_name,sector,grade,seats,zones
ELM-K,ELM,Elm Elementary,district,K,2,N;E
OAK-K,OAK,Oak Charter Academy,charter,K,1,
ELM-1,ELM,Elm Elementary,district,1,2,N;E
RIV-1,RIV,River School,charter,1,2,S
"""

APPLICANTS = """\
applicant_id,first_name,last_name,grade,zone,current_school_id,sibling_school_ids,\
staff_school_id,language,guardian_name,address
A1,Ana,Lopez,K,N,,ELM,,es,Maria Lopez,12 Elm St
A2,Ben,Smith,K,S,,,,,Carol Smith,3 River Rd
A3,Cara,Jones,K,N,,,,,Dan Jones,
A4,Dev,Patel,K,E,,OAK,,,Raj Patel,
A5,Eli,Brown,1,S,RIV,,,,Fay Brown,
A6,Fox,Green,1,N,,,ELM,,Gil Green,
A7,Gia,White,1,E,,RIV;ELM,,,Hal White,
A8,Hui,Chen,1,S,,,,zh,Ivy Chen,
"""

CHOICES = """\
applicant_id,rank,program_id
A1,1,ELM-K
A1,2,OAK-K
A2,1,ELM-K
A2,2,OAK-K
A3,1,OAK-K
A3,2,ELM-K
A4,1,OAK-K
A5,1,RIV-1
A5,2,ELM-1
A6,1,ELM-1
A6,2,RIV-1
A7,1,ELM-1
A7,2,RIV-1
A8,1,RIV-1
"""

CITY_FILES = {
    "programs.csv": PROGRAMS,
    "applicants.csv": APPLICANTS,
    "choices.csv": CHOICES,
}
"""The default city: file name -> text. Optional files (policy.toml, ...) are absent."""


def file_name(key: str) -> str:
    """Map a keyword such as ``policy`` or ``programs_csv`` to a file name.

    ``programs``/``applicants``/``choices``/``priorities``/``lottery`` mean the ``.csv``
    file and ``policy`` means ``policy.toml``; any key with an ``_csv``/``_toml``
    suffix, or containing a dot, is taken literally.
    """
    if "." in key:
        return key
    for suffix in ("_csv", "_toml"):
        if key.endswith(suffix):
            return key.removesuffix(suffix) + "." + suffix[1:]
    return "policy.toml" if key == "policy" else f"{key}.csv"


class City:
    """An input folder on disk, with small editing helpers that keep tests readable.

    Line numbers are 1-based and count the header as line 1, exactly as the
    ``file:line: column: message`` errors do. Text is written as UTF-8 with ``\\n``
    line endings unless bytes are given.
    """

    def __init__(self, path: Path):
        self.path = Path(path)

    def __str__(self) -> str:
        return str(self.path)

    def file(self, name: str) -> Path:
        return self.path / file_name(name)

    def read(self, name: str) -> str:
        return self.file(name).read_text(encoding="utf-8")

    def write(self, name: str, content: str | bytes | None) -> City:
        """Replace a file's content (``bytes`` are written as is); ``None`` deletes it."""
        path = self.file(name)
        if content is None:
            path.unlink(missing_ok=True)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(content.encode("utf-8"))
        return self

    def lines(self, name: str) -> list[str]:
        return self.read(name).split("\n")

    def replace_line(self, name: str, line: int, text: str) -> City:
        """Replace line ``line`` (header = 1) of a file with ``text``."""
        lines = self.lines(name)
        assert 1 <= line <= len(lines), f"{name} has no line {line}"
        lines[line - 1] = text
        return self.write(name, "\n".join(lines))

    def delete_line(self, name: str, line: int) -> City:
        """Remove line ``line`` (header = 1); the lines below move up by one."""
        lines = self.lines(name)
        assert 1 <= line <= len(lines), f"{name} has no line {line}"
        del lines[line - 1]
        return self.write(name, "\n".join(lines))

    def append(self, name: str, *rows: str) -> City:
        """Add rows at the end of a file (one string per line)."""
        text = self.read(name) if self.file(name).exists() else ""
        if text and not text.endswith("\n"):
            text += "\n"
        return self.write(name, text + "".join(row + "\n" for row in rows))

    def select_columns(self, name: str, *columns: str) -> City:
        """Rewrite a CSV file with only ``columns``, in that order (header names as written).

        Meant for the default files, whose cells hold no quotes or line breaks.
        """
        rows = list(csv.reader(io.StringIO(self.read(name))))
        header = rows[0]
        positions = [header.index(column) for column in columns]
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        for row in rows:
            writer.writerow([row[i] if i < len(row) else "" for i in positions])
        return self.write(name, out.getvalue())

    def drop_column(self, name: str, column: str) -> City:
        """Remove one column (header and cells) from a CSV file."""
        header = next(csv.reader(io.StringIO(self.read(name))))
        return self.select_columns(name, *(c for c in header if c != column))

    def edit(self, name: str, old: str, new: str) -> City:
        """Replace the one occurrence of ``old`` in a file with ``new``."""
        text = self.read(name)
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {name}"
        return self.write(name, text.replace(old, new))


def write_city(folder: Path, **overrides: str | bytes | None) -> City:
    """Write the default city into ``folder`` (created if needed) and return it.

    Keyword arguments replace or add files: ``programs=``, ``applicants=``, ``choices=``,
    ``priorities=``, ``lottery=`` (the ``.csv`` files), ``policy=`` (``policy.toml``).
    A value of ``None`` leaves the file out; ``bytes`` are written unchanged (for
    encodings, byte-order marks and line endings).
    """
    return write_files(folder, CITY_FILES, **overrides)


def write_files(
    folder: Path, files: dict[str, str | bytes | None], **overrides: str | bytes | None
) -> City:
    """Write ``files`` (name -> content), with ``overrides`` as for ``write_city``, into
    ``folder`` (created if needed) and return it as a :class:`City`."""
    city = City(folder)
    city.path.mkdir(parents=True, exist_ok=True)
    chosen = dict(files)
    chosen.update({file_name(key): value for key, value in overrides.items()})
    for name, content in chosen.items():
        city.write(name, content)
    return city
