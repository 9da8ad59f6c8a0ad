"""``letters.toml``: what the placement letters say about the office that sends them.

Every setting is optional except the office's name (when the file exists); a letter
leaves out what is not given. Like ``policy.toml``, a mistake is reported with the
file, line and setting, and nothing is written::

    letters.toml:7: response.deadline: must be a date written like 2026-04-15, without quotes

Values are read strictly (a number is not text, text is not a date), and every text
has a length limit (:data:`TEXT_LIMITS`) and may hold no control characters: what goes
on every letter must be what the office meant to write.

The texts an office writes in words (:data:`TRANSLATABLE`: its name, its address and
how to accept) may be one text, used in every letter, or a table of texts by language
(``how_to_accept = { en = "...", es = "..." }``); a letter uses the text of its
language, else English, and :func:`missing_translations` warns about each language that
has letters but no text of its own.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError, field_validator

from lottery.errors import InputError, Problem
from lottery.io.toml_files import read_toml
from lottery.publish.letters.languages import language_name

CONFIG_FILE = "letters.toml"
LANGUAGE = re.compile(r"[a-z]{2,3}(-[a-z0-9]{2,8})*")
LANGUAGE_LIMIT = 35
"""The longest language code accepted (BCP 47 tags in use are far shorter)."""
TEXT_LIMITS = {
    "office.name": 200,
    "office.phone": 50,
    "office.email": 254,
    "office.address": 300,
    "office.website": 300,
    "response.how_to_accept": 2000,
}
"""The most characters each text setting may have (docs/letters.md lists them): enough
for any real office, and a bound on the work of laying out every letter."""
TRANSLATABLE = ("office.name", "office.address", "response.how_to_accept")
"""The settings that may be a table of texts by language."""
LINE_BREAKS = frozenset("\n\r")
ALLOWED_CONTROLS = frozenset("\t") | LINE_BREAKS


def _text(setting: str, lines: bool = False):
    """Text for ``setting``: at most its limit in characters and no control characters
    (a tab is allowed, and line breaks when ``lines``, for texts that may run over
    several lines)."""
    limit = TEXT_LIMITS[setting]
    allowed = ALLOWED_CONTROLS if lines else ALLOWED_CONTROLS - LINE_BREAKS

    def check(value: str) -> str:
        if len(value) > limit:
            raise ValueError(f"is {len(value)} characters long; the limit is {limit}")
        for position, character in enumerate(value, start=1):
            if character in allowed or not _is_control(character):
                continue
            if character in LINE_BREAKS:
                raise ValueError(
                    f"must be one line of text (it has a line break at character {position})"
                )
            raise ValueError(
                f"contains a control character (U+{ord(character):04X}) at character "
                f"{position}; remove it"
            )
        return value

    return Annotated[str, AfterValidator(check)]


def _is_control(character: str) -> bool:
    code = ord(character)
    return code < 0x20 or 0x7F <= code <= 0x9F


OfficeName = _text("office.name")
Phone = _text("office.phone")
Email = _text("office.email")
Address = _text("office.address", lines=True)
Website = _text("office.website")
HowToAccept = _text("response.how_to_accept", lines=True)


def _text_or_translations(value):
    """One text (English, and the text of every language without one of its own), or a
    table of texts by language, which must have English."""
    if isinstance(value, str):
        return {"en": value}
    if not isinstance(value, dict):
        raise ValueError(
            f"must be text in quotes, not {as_written(value)} (or a table of texts by "
            'language such as { en = "...", es = "..." })'
        )
    unknown = [k for k in value if len(k) > LANGUAGE_LIMIT or not LANGUAGE.fullmatch(k)]
    if unknown:
        raise ValueError(f"{as_written(unknown[0])} is not a language code such as en or es")
    if "en" not in value:
        raise ValueError("the table of translations needs an English text (en = ...)")
    return value


def _in_language(texts: dict[str, str], language: str) -> str:
    """The text of ``language`` (or its base language), else English."""
    return texts.get(language) or texts.get(language.split("-")[0]) or texts.get("en", "")


@dataclass(frozen=True)
class OfficeTexts:
    """The office's details as one letter shows them: every text in the letter's language."""

    name: str
    phone: str
    email: str
    address: str
    website: str


class Office(BaseModel):
    """Who sends the letters and how families reach them."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    name: dict[str, OfficeName] = {}
    phone: Phone = ""
    email: Email = ""
    address: dict[str, Address] = {}
    website: Website = ""

    _translations = field_validator("name", "address", mode="before")(
        classmethod(lambda cls, value: _text_or_translations(value))
    )

    @field_validator("email")
    @classmethod
    def _an_email(cls, email: str) -> str:
        if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
            raise ValueError(
                f"{as_written(email)} is not an email address such as enroll@city.example"
            )
        return email


class Response(BaseModel):
    """What a family must do to keep the seat they were offered, and by when."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    deadline: date | None = None
    how_to_accept: dict[str, HowToAccept] = {}

    @field_validator("deadline", mode="before")
    @classmethod
    def _a_date(cls, value):
        if isinstance(value, datetime | time):
            raise ValueError("must be a date without a time of day, written like 2026-04-15")
        if not isinstance(value, date):
            raise ValueError("must be a date written like 2026-04-15, without quotes")
        return value

    _translations = field_validator("how_to_accept", mode="before")(
        classmethod(lambda cls, value: _text_or_translations(value))
    )


class LettersConfig(BaseModel):
    """Everything ``letters.toml`` can say."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    office: Office = Office()
    response: Response = Response()
    paper: Literal["letter", "a4"] = "letter"

    def how_to_accept(self, language: str) -> str:
        """The office's instructions in ``language`` (or its base language), else English."""
        return _in_language(self.response.how_to_accept, language)

    def office_in(self, language: str) -> OfficeTexts:
        """The office's details as a letter in ``language`` shows them."""
        office = self.office
        return OfficeTexts(
            name=_in_language(office.name, language),
            phone=office.phone,
            email=office.email,
            address=_in_language(office.address, language),
            website=office.website,
        )

    def translations(self, setting: str) -> dict[str, str]:
        """The texts of ``setting`` (one of :data:`TRANSLATABLE`) by language."""
        table, key = setting.split(".")
        return getattr(getattr(self, table), key)


def missing_translations(config: LettersConfig, path: Path | None, letters: Counter) -> list[str]:
    """A warning for each language that has letters (``letters``: template language ->
    count) but no text of its own for a setting of :data:`TRANSLATABLE`, so that its
    letters use the English one.

    ``how_to_accept`` completes a sentence of the letter, so it is always checked; the
    office's name and address, often kept as they are in every language, only when the
    office wrote them in several languages.
    """
    name = Path(path).name if path is not None else CONFIG_FILE
    warnings = []
    for setting in TRANSLATABLE:
        texts = config.translations(setting)
        if not texts or (setting != "response.how_to_accept" and len(texts) == 1):
            continue
        key = setting.split(".")[-1]
        for language, count in sorted(letters.items()):
            if language == "en" or language in texts or language.split("-")[0] in texts:
                continue
            warnings.append(
                f"{name}: {key} has no {language_name(language)} ({language}) text; {count} "
                f"{language_name(language)} letter(s) use the English text"
            )
    return warnings


def load_letters_config(path: Path | None) -> LettersConfig:
    """Read ``letters.toml`` at ``path``; ``None`` gives the defaults (no contact details).

    Raises :class:`~lottery.errors.InputError` listing every problem in the file.
    """
    if path is None:
        return LettersConfig()
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise InputError(
            [Problem(str(path), None, None, "this letters configuration file does not exist")]
        )
    text, data = read_toml(path, name)
    problems = []
    office = data.get("office", {})
    name_text = office.get("name", "") if isinstance(office, dict) else ""
    if isinstance(name_text, dict):  # by language: English is checked, and required
        name_text = name_text.get("en", "-")
    if isinstance(office, dict) and not str(name_text).strip():
        line = setting_line(text, ("office", "name")) or setting_line(text, ("office",))
        problems.append(Problem(name, line, "office.name", "the office's name is required"))
    try:
        config = LettersConfig.model_validate(data)
    except ValidationError as error:
        problems += [_problem(name, text, data, issue) for issue in error.errors()]
        raise InputError(problems) from None
    if problems:
        raise InputError(problems)
    return config


# ----------------------------------------------------------------------------- problems


def _problem(name: str, text: str, data: dict, issue: dict) -> Problem:
    """One pydantic issue as a plain-English problem at the setting's line."""
    keys = _setting(data, [part for part in issue["loc"] if isinstance(part, str)])
    found = issue.get("input")
    kind = issue["type"]
    if kind == "extra_forbidden":
        message = f"unknown setting {as_written(keys[-1])}"
    elif kind == "string_type":
        message = f"must be text in quotes, not {as_written(found)}"
    elif kind in ("model_type", "dict_type"):
        message = f"must be a table of settings, not {as_written(found)}"
    elif kind == "literal_error":
        expected = " or ".join(as_written(value) for value in _choices(issue))
        message = f"must be {expected}, not {as_written(found)}"
    elif kind == "value_error":
        message = str(issue["ctx"]["error"])
    else:  # not expected from the models above; still no programmer's wording
        message = f"is not a value this setting can take: {as_written(found)}"
    column = ".".join(as_written(key, quoted=False) for key in keys) or None
    return Problem(name, setting_line(text, tuple(keys)), column, message)


def _setting(data: dict, keys: list[str]) -> list[str]:
    """The part of ``keys`` the file really has: ``how_to_accept = "..."`` is validated
    as ``how_to_accept.en``, but the file has no ``en`` to point at."""
    kept, value = [], data
    for key in keys:
        if key == "[key]" or not isinstance(value, dict) or key not in value:
            break
        kept.append(key)
        value = value[key]
    return kept or keys[:1]


def _choices(issue: dict) -> list[str]:
    return re.findall(r"'([^']*)'", issue["ctx"]["expected"])


def as_written(value, quoted: bool = True) -> str:
    """A value as it is written in a TOML file, shortened: ``2026-06-30``, ``"text"``
    (control characters as escapes such as ``\\u0000``; ``quoted=False`` drops the quotes)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, str):
        short = value if len(value) <= 40 else value[:37] + "..."
        written = json.dumps(short, ensure_ascii=False)
        return written if quoted else written[1:-1]
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return str(value)


HEADER = re.compile(r"\[\s*([^\[\]]+?)\s*\]")
ASSIGNMENT = re.compile(r"""([\w\-."' ]+?)\s*=""")


def setting_line(text: str, keys: tuple[str, ...]) -> int | None:
    """The line that sets ``keys`` (``("office", "name")``) or opens it as a table, else
    the line of its nearest parent; ``None`` if the file has neither."""
    for depth in range(len(keys), 0, -1):
        table: tuple[str, ...] = ()
        for number, line in enumerate(text.splitlines(), start=1):
            line = line.strip()
            if header := HEADER.match(line):
                table = _dotted(header.group(1))
                if table == keys[:depth]:
                    return number
            elif (assignment := ASSIGNMENT.match(line)) and (
                table + _dotted(assignment.group(1)) == keys[:depth]
            ):
                return number
    return None


def _dotted(key: str) -> tuple[str, ...]:
    return tuple(part.strip().strip("\"'") for part in key.split("."))
