"""Error messages in the language the request asks for, from a gettext message catalogue.

The English message template a service raises (`services.errors`) is the message id; French
translations live in `schema/locales/fr/LC_MESSAGES/espace.po`, compiled in memory with
Babel when first needed (no compiled `.mo` file to keep in step). A request gets French when
its `Accept-Language` prefers French to English, English otherwise.
"""

from __future__ import annotations

import gettext
import io
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.core import negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from services.errors import fill

LOCALE_DIR = Path(__file__).resolve().parent / "locales"
DOMAIN = "espace"
ENGLISH = "en"
LANGUAGES = ("fr", ENGLISH)


def catalogue_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache(maxsize=len(LANGUAGES))
def translations(language: str) -> gettext.NullTranslations:
    """The compiled catalogue of a language (English is the source: nothing to translate)."""
    path = catalogue_path(language)
    if language == ENGLISH or not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as source:
        catalogue = read_po(source, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalogue)  # fuzzy entries are left out, as msgfmt does
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def _preferences(accept_language: str) -> list[str]:
    """The languages of an `Accept-Language` header, most wanted first (q=0 left out)."""
    ranked: list[tuple[float, int, str]] = []
    for index, item in enumerate(accept_language.split(",")):
        tag, *parameters = item.strip().split(";")
        quality = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag.strip() and quality > 0:
            ranked.append((-quality, index, tag.strip().replace("_", "-")))
    return [tag for _, _, tag in sorted(ranked)]


def request_language(accept_language: str | None) -> str:
    """`fr` when the header prefers French to English, else `en`."""
    chosen = negotiate_locale(_preferences(accept_language or ""), LANGUAGES, sep="-")
    return chosen if chosen in LANGUAGES else ENGLISH


def translate(template: str, parameters: dict[str, Any], language: str) -> str:
    """A message template in `language`, its `{placeholders}` filled from `parameters`."""
    return fill(translations(language).gettext(template), parameters)
