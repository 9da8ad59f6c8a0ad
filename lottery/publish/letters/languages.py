"""Names of the languages families write in ``applicants.csv``, for the office's
messages ("12 Spanish letters use the English text")."""

from __future__ import annotations

LANGUAGE_NAMES = {
    "am": "Amharic",
    "ar": "Arabic",
    "bn": "Bengali",
    "en": "English",
    "es": "Spanish",
    "fa": "Persian",
    "fr": "French",
    "ht": "Haitian Creole",
    "hi": "Hindi",
    "hmn": "Hmong",
    "ja": "Japanese",
    "km": "Khmer",
    "ko": "Korean",
    "ne": "Nepali",
    "pl": "Polish",
    "ps": "Pashto",
    "pt": "Portuguese",
    "ru": "Russian",
    "so": "Somali",
    "sw": "Swahili",
    "tl": "Tagalog",
    "uk": "Ukrainian",
    "ur": "Urdu",
    "vi": "Vietnamese",
    "zh": "Chinese",
}


def language_name(code: str) -> str:
    """The English name of a language code (``es`` -> Spanish); the code itself if unknown."""
    return LANGUAGE_NAMES.get(code) or LANGUAGE_NAMES.get(code.split("-")[0]) or code
