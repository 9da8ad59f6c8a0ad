"""Text in scripts that fpdf2's plain text drawing cannot lay out by itself: Arabic and
Chinese, for the translation notes of the PDF letter (see docs/letters.md).

fpdf2 draws the characters of a text one after the other, left to right, each in its
basic form. Arabic is written right to left and each letter takes the form its place
in the word asks for (initial, medial, final or alone), so :func:`shape_arabic` picks
those forms (the Arabic Presentation Forms that DejaVu Sans has) and
:func:`visual_order` puts a wrapped line in the order it is seen. This covers the
plain letters of a short note; it is no general text shaper (no vowel marks, no
mixing of numbers into a right-to-left line). Chinese needs a font with its
characters: :data:`CJK_FONT`, a small subset of Noto Sans CJK shipped with the letters.
"""

from __future__ import annotations

import contextlib
import unicodedata
from functools import cache
from pathlib import Path

CJK_FONT = Path(__file__).with_name("fonts") / "LotteryNoteCJK-Regular.otf"
"""The characters of the shipped Chinese note and ASCII (fonts/LICENSE-OFL.txt)."""
_MIRRORED = str.maketrans("()[]{}«»", ")(][}{»«")
_LAM = "\u0644"
_ALEFS = {
    "\u0627": "ALEF",
    "\u0622": "ALEF WITH MADDA ABOVE",
    "\u0623": "ALEF WITH HAMZA ABOVE",
    "\u0625": "ALEF WITH HAMZA BELOW",
}


def is_arabic(text: str) -> bool:
    """Whether ``text`` has Arabic letters."""
    return any("\u0600" <= c <= "\u06ff" for c in text)


def is_cjk(text: str) -> bool:
    """Whether ``text`` has Chinese (or Japanese) characters or full-width punctuation."""
    return any("\u3000" <= c <= "\u9fff" or "\uff00" <= c <= "\uffef" for c in text)


@cache
def _forms(character: str) -> dict[str, str]:
    """The presentation forms of an Arabic letter: ISOLATED, FINAL, INITIAL, MEDIAL."""
    name = unicodedata.name(character, "")
    if not name.startswith("ARABIC LETTER "):
        return {}
    forms = {}
    for form in ("ISOLATED", "FINAL", "INITIAL", "MEDIAL"):
        with contextlib.suppress(KeyError):
            forms[form] = unicodedata.lookup(f"{name} {form} FORM")
    return forms


def _joins_next(character: str | None) -> bool:
    """Letters that join the letter after them have an initial form."""
    return character is not None and "INITIAL" in _forms(character)


def _joins_previous(character: str | None) -> bool:
    return character is not None and "FINAL" in _forms(character)


def shape_arabic(text: str) -> str:
    """``text`` with each Arabic letter in the form its neighbours ask for, and lam
    followed by alef as their ligature; still in logical (reading) order."""
    shaped = []
    position = 0
    while position < len(text):
        character = text[position]
        forms = _forms(character)
        if not forms:
            shaped.append(character)
            position += 1
            continue
        before = text[position - 1] if position else None
        after = text[position + 1] if position + 1 < len(text) else None
        joined_before = _joins_next(before)
        if character == _LAM and after in _ALEFS:
            form = "FINAL" if joined_before else "ISOLATED"
            ligature = f"ARABIC LIGATURE LAM WITH {_ALEFS[after]} {form} FORM"
            shaped.append(unicodedata.lookup(ligature))
            position += 2
            continue
        joined_after = "INITIAL" in forms and _joins_previous(after)
        if joined_before and joined_after and "MEDIAL" in forms:
            form = "MEDIAL"
        elif joined_before and "FINAL" in forms:
            form = "FINAL"
        elif joined_after:
            form = "INITIAL"
        else:
            form = "ISOLATED"
        shaped.append(forms.get(form, character))
        position += 1
    return "".join(shaped)


def visual_order(line: str) -> str:
    """A wrapped right-to-left line in the order it is drawn, left to right: words in
    reverse order, Arabic words reversed with their brackets mirrored, other words (a
    name or number in Latin letters) kept as they are."""
    words = [
        word[::-1].translate(_MIRRORED) if is_arabic_shaped(word) else word for word in line.split()
    ]
    return " ".join(reversed(words))


def is_arabic_shaped(text: str) -> bool:
    """Whether ``text`` has Arabic letters, shaped or not."""
    return is_arabic(text) or any("\ufb50" <= c <= "\ufeff" for c in text)


def arabic_forms(characters: set[str]) -> set[str]:
    """The presentation forms (and lam-alef ligatures) that :func:`shape_arabic` may draw
    for ``characters``: the font subset must keep them."""
    forms = {form for c in characters for form in _forms(c).values()}
    if _LAM in characters:
        for alef, name in _ALEFS.items():
            if alef in characters:
                for form in ("ISOLATED", "FINAL"):
                    forms.add(unicodedata.lookup(f"ARABIC LIGATURE LAM WITH {name} {form} FORM"))
    return forms
