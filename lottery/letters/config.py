"""``letters.toml``: what the placement letters say about the office that sends them.

Every setting is optional except the office's name (when the file exists); a letter
leaves out what is not given. Like ``policy.toml``, a mistake is reported with the
file, line and setting, and nothing is written::

    letters.toml:7: response.deadline: must be a date written like 2026-04-15, without quotes
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from lottery.errors import InputError, Problem
from lottery.io.settings import line_of, read_toml, validation_problems

CONFIG_FILE = "letters.toml"
LANGUAGE = re.compile(r"[a-z]{2,3}(-[a-z0-9]{2,8})*")


class Office(BaseModel):
    """Who sends the letters and how families reach them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""
    website: str = ""

    @field_validator("email")
    @classmethod
    def _an_email(cls, email: str) -> str:
        if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
            raise ValueError(f'"{email}" is not an email address such as enroll@city.example')
        return email


class Response(BaseModel):
    """What a family must do to keep the seat they were offered, and by when."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    deadline: date | None = None
    how_to_accept: dict[str, str] = {}

    @field_validator("deadline", mode="before")
    @classmethod
    def _a_date(cls, value):
        if not isinstance(value, date) or hasattr(value, "hour"):
            raise ValueError("must be a date written like 2026-04-15, without quotes")
        return value

    @field_validator("how_to_accept", mode="before")
    @classmethod
    def _text_or_translations(cls, value):
        if isinstance(value, str):
            return {"en": value}
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise ValueError(
                "must be text in quotes, or a table of texts by language such as "
                '{ en = "...", es = "..." }'
            )
        unknown = [k for k in value if not LANGUAGE.fullmatch(k)]
        if unknown:
            raise ValueError(f'"{unknown[0]}" is not a language code such as en or es')
        if "en" not in value:
            raise ValueError("the table of translations needs an English text (en = ...)")
        return value


class LettersConfig(BaseModel):
    """Everything ``letters.toml`` can say."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    office: Office = Office()
    response: Response = Response()
    paper: Literal["letter", "a4"] = "letter"

    def how_to_accept(self, language: str) -> str:
        """The office's instructions in ``language`` (or its base language), else English."""
        texts = self.response.how_to_accept
        return texts.get(language) or texts.get(language.split("-")[0]) or texts.get("en", "")


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
    if isinstance(office, dict) and not str(office.get("name", "")).strip():
        problems.append(
            Problem(name, line_of(text, "office"), "office.name", "the office's name is required")
        )
    try:
        config = LettersConfig.model_validate(data)
    except ValidationError as error:
        problems += validation_problems(name, text, error)
        raise InputError(problems) from None
    if problems:
        raise InputError(problems)
    return config
