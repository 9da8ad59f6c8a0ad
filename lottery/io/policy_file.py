"""Reading ``policy.toml`` into the :class:`~lottery.policy.Policy` model."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from lottery.errors import InputError
from lottery.io.toml_files import read_toml, validation_problems
from lottery.policy import POLICY_FILE, Policy


def load_policy(source: Path | bytes) -> Policy:
    """Read ``policy.toml`` from its path or its contents; the default policy if the path
    does not exist. InputError (naming policy.toml) if it is not a valid policy."""
    if not isinstance(source, bytes) and not Path(source).exists():
        return Policy()
    text, data = read_toml(source, POLICY_FILE)
    try:
        return Policy.model_validate(data)
    except ValidationError as error:
        raise InputError(validation_problems(POLICY_FILE, text, error)) from None
