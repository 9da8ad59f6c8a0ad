"""Where a letter's template comes from, and where its errors are.

A letter is worded by the wording file of its language (``en.toml``, ``es.toml``, ...,
see :mod:`lottery.publish.letters.wording`) and laid out as a web page by one layout for
every language, ``letter.html``. :class:`LetterLoader` joins the two into the template
``<language>.html``: the whole letter, as offices wrote it before the wording had a file
of its own. An office's folder (``--templates``) comes first: an ``en.html`` there is a
whole letter of its own and is used as it is; an ``en.toml`` or ``letter.html`` there
replaces the shipped one; whatever it lacks is shipped.

Errors are reported at the file and line the office can fix: a line of a joined
template is traced back to its wording file or layout (:func:`template_problem`).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import jinja2

from lottery.errors import Problem
from lottery.publish.letters.model import Letter
from lottery.publish.letters.wording import join_letter, read_wording

SHIPPED_TEMPLATES = Path(__file__).with_name("templates")
LAYOUT = "letter.html"
DEFAULT_LANGUAGE = "en"
TEMPLATE_NAME = re.compile(r"([a-z]{2,3}(?:-[a-z0-9]{2,8})*)\.html")
WORDING_NAME = re.compile(r"([a-z]{2,3}(?:-[a-z0-9]{2,8})*)\.toml")


class TemplateNotReadable(jinja2.TemplateError):
    """A template file that cannot be read as text (not UTF-8, or not readable at all)."""

    def __init__(self, filename: str, message: str):
        super().__init__(message)
        self.filename = filename
        self.lineno = None


class _TextLoader(jinja2.FileSystemLoader):
    """Templates as UTF-8 text (a byte-order mark is allowed); anything else is a
    :class:`TemplateNotReadable`, so that the person who saved it learns how to fix it."""

    def __init__(self, folder: Path):
        super().__init__(str(folder), encoding="utf-8-sig")

    def get_source(self, environment, template):
        try:
            return super().get_source(environment, template)
        except jinja2.TemplateNotFound:
            raise  # an OSError too, but the next folder may have it
        except UnicodeDecodeError as error:
            message = f"the file is not UTF-8 text (byte {error.start + 1}); save it as UTF-8"
            raise TemplateNotReadable(template, message) from None
        except OSError as error:
            message = f"the file cannot be read ({error.strerror or error})"
            raise TemplateNotReadable(template, message) from None


@dataclass(frozen=True)
class _Joined:
    wording_file: str
    origins: tuple[tuple[str, int | None], ...]


class LetterLoader(jinja2.BaseLoader):
    """Templates from each folder in turn; in each, ``<language>.html`` is the file if
    there is one, else it is joined from ``<language>.toml`` and the layout.

    A wording file with problems raises :class:`~lottery.errors.InputError`.
    """

    def __init__(self, folders: list[Path]):
        self._folders = [(Path(folder), _TextLoader(Path(folder))) for folder in folders]
        self._joined: dict[str, _Joined] = {}

    def get_source(self, environment, template):
        for folder, files in self._folders:
            try:
                return files.get_source(environment, template)
            except jinja2.TemplateNotFound:
                pass
            language = TEMPLATE_NAME.fullmatch(template)
            wording = folder / f"{language.group(1)}.toml" if language else None
            if wording is not None and wording.is_file():
                return self._join(environment, template, wording)
        raise jinja2.TemplateNotFound(template)

    def _join(self, environment, template: str, wording_path: Path):
        layout, layout_path, layout_uptodate = self.get_source(environment, LAYOUT)
        try:
            changed = wording_path.stat().st_mtime
        except OSError:
            changed = None
        joined = join_letter(read_wording(wording_path), layout, Path(layout_path).name)
        # The name a whole letter would have in that folder, so that a message that
        # cannot be traced back still names a file the office knows.
        filename = str(wording_path.with_name(template))
        self._joined[filename] = _Joined(wording_path.name, joined.origins)

        def uptodate() -> bool:
            try:
                return layout_uptodate() and wording_path.stat().st_mtime == changed
            except OSError:
                return False

        return joined.source, filename, uptodate

    def list_templates(self) -> list[str]:
        names: set[str] = set()
        for _, files in self._folders:
            found = files.list_templates()
            names.update(found)
            languages = (WORDING_NAME.fullmatch(name) for name in found)
            names.update(f"{language.group(1)}.html" for language in languages if language)
        return sorted(names)

    def place(self, filename: str, line: int | None) -> tuple[str, int | None]:
        """The file (its name) and line that ``line`` of the template ``filename`` is from."""
        joined = self._joined.get(filename)
        if joined is None:
            return Path(filename).name, line
        if line is None:
            return joined.wording_file, None
        return joined.origins[min(max(line, 1), len(joined.origins)) - 1]

    def wording_file(self, filename: str) -> str:
        """The file the wording of the template ``filename`` is in (``en.toml``, ``en.html``)."""
        joined = self._joined.get(filename)
        return joined.wording_file if joined else Path(filename).name


def make_environment(templates_dir: Path | None) -> jinja2.Environment:
    """Templates from ``templates_dir`` first, then the shipped ones."""
    folders = [SHIPPED_TEMPLATES]
    if templates_dir is not None:
        folders.insert(0, Path(templates_dir))
    return jinja2.Environment(
        loader=LetterLoader(folders),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.do"],
        keep_trailing_newline=True,
    )


def whole_letter(language: str, templates_dir: Path | None = None) -> str:
    """The letter of ``language`` as one template (wording and layout), as it is used."""
    environment = make_environment(templates_dir)
    return environment.loader.get_source(environment, f"{language}.html")[0]


def template_languages(environment: jinja2.Environment) -> set[str]:
    """The languages that have a template or a wording file (``en`` always does)."""
    return {
        found.group(1)
        for name in environment.list_templates()
        if (found := TEMPLATE_NAME.fullmatch(name))
    }


def pick_language(requested: str, available: set[str]) -> tuple[str, bool]:
    """The template language for a family, and whether it is the English fallback.

    ``pt-br`` uses ``pt-br.html`` (or ``pt-br.toml``) if there is one, else ``pt``.
    """
    if requested in available:
        return requested, False
    base = requested.split("-")[0]
    if base in available:
        return base, False
    return DEFAULT_LANGUAGE, True


def template_problem(
    error: Exception,
    fallback_file: str,
    letter: Letter | None = None,
    loader: LetterLoader | None = None,
) -> Problem:
    """An error raised by a template, as ``file:line: message``.

    Syntax errors know their file and line; errors while rendering (an undefined name,
    a division by zero) are placed at the innermost template line of their traceback,
    and a template that calls itself without end at the lines that repeat. ``letter``
    names the letter being written; ``loader`` traces lines of joined templates back to
    their wording file or layout.
    """
    if isinstance(error, TemplateNotReadable):
        return Problem(Path(error.filename).name, None, None, str(error))

    def place(file: str, line: int | None) -> tuple[str, int | None]:
        return loader.place(file, line) if loader is not None else (Path(file).name, line)

    file, line = place(
        getattr(error, "filename", None) or fallback_file, getattr(error, "lineno", None)
    )
    places = [place(name, number) for name, number in _template_places(error.__traceback__)]
    counts = Counter(places)
    repeated = max(counts.values(), default=0)
    if isinstance(error, RecursionError) and repeated > 1:
        cycle = sorted(place for place, count in counts.items() if count == repeated)
        file, line = cycle[0]
        message = (
            "the template calls itself without end (a template that includes or extends "
            "itself, or a macro that calls itself)"
        )
        if len(cycle) > 1:
            message += ", going round " + " and ".join(
                f"{name} line {number}" for name, number in cycle
            )
    elif isinstance(error, RecursionError):  # Jinja reads blocks within blocks recursively
        if places:
            file, line = places[-1]
        message = "the template has blocks nested too deeply (hundreds of levels) to be read"
    else:
        if line is None and places:
            file, line = places[-1]
        if isinstance(error, jinja2.TemplateNotFound):
            message = f'there is no template "{error.name}"'
        elif isinstance(error, jinja2.TemplateError):
            message = str(error.message or error)
        else:
            message = str(error) or type(error).__name__
    if letter is not None:
        message += f" (in the letter of {letter.applicant_id})"
    return Problem(file, line, None, f"template error: {message}")


def _template_places(trace) -> list[tuple[str, int]]:
    """The template file and line of each template frame of a traceback, outermost first."""
    places = []
    while trace is not None:
        names = trace.tb_frame.f_globals
        template = names.get("__jinja_template__")
        if template is not None and template.filename:
            places.append((template.filename, template.get_corresponding_lineno(trace.tb_lineno)))
        elif "__jinja_exception__" in names:  # a frame Jinja has already rewritten
            places.append((trace.tb_frame.f_code.co_filename, trace.tb_lineno))
        trace = trace.tb_next
    return places
