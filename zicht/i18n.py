"""One message catalogue for the two languages of zicht (gettext via Babel).

Source strings (msgids) are English; the Dutch translations are in
``zicht/locale/nl/LC_MESSAGES/zicht.po``, read with Babel the first time Dutch is asked for
(no compiled ``.mo`` file is needed).  English text is the msgid itself.

In Python::

    from zicht.i18n import N_, translator

    _ = translator(lang)                      # lang: "nl" or "en"
    _("Estimated number of victims")
    _("{n} reports").format(n=12)
    _.ngettext("{n} report", "{n} reports", n).format(n=n)

Module-level text tables mark their entries with :func:`N_` (which returns the string as it
is, so ``pybabel extract`` finds it) and translate at use: ``_(label)``.  A text whose
meaning depends on its context is marked ``NC_(context, text)`` and translated with
``_.pgettext(context, text)``.

In the web's Jinja templates ``{{ _("Skip to main content") }}`` translates for the page's
``lang`` (see :func:`install_jinja`).  Numbers, percentages and dates are formatted by locale
with :func:`format_number`, :func:`format_percent` and :func:`format_date`.

To refresh the catalogue after adding or changing texts::

    pybabel extract -F babel.cfg -o zicht/locale/zicht.pot --no-location zicht
    pybabel update -i zicht/locale/zicht.pot -d zicht/locale -D zicht -l nl --no-fuzzy-matching
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import Any

from babel import Locale
from babel import dates as _dates
from babel import numbers as _numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "zicht"
LANGS = ("nl", "en")
DEFAULT_LANG = "nl"

__all__ = ["DOMAIN", "KEYWORDS", "LANGS", "LOCALE_DIR", "N_", "NC_", "Translator",
           "catalogue_path",
           "format_date", "format_number", "format_percent", "install_jinja", "number_symbols",
           "translator"]


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it (for module-level tables)."""
    return message


def NC_(context: str, message: str) -> str:
    """Mark ``message`` in ``context`` for extraction (translated later with ``pgettext``);
    extraction knows it as the keyword ``NC_:1c,2`` (see ``KEYWORDS``)."""
    return message


#: extraction keywords beyond Babel's defaults (``pybabel extract -k NC_:1c,2``)
KEYWORDS = {"NC_": ((1, "c"), 2)}


def catalogue_path(lang: str) -> Path:
    """The PO file of ``lang``."""
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


class Translator:
    """The texts of one language: call it (or :meth:`gettext`) with an English msgid."""

    def __init__(self, lang: str, translations: NullTranslations):
        self.lang = lang
        self._translations = translations

    def __call__(self, message: str) -> str:
        return self._translations.gettext(message)

    gettext = __call__

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """The singular or plural form for ``n`` (by the language's plural rule)."""
        return self._translations.ngettext(singular, plural, n)

    def pgettext(self, context: str, message: str) -> str:
        """``message`` in ``context`` (for an English word with two Dutch translations)."""
        return self._translations.pgettext(context, message)

    def __repr__(self) -> str:
        return f"Translator({self.lang!r})"


def _lang(lang: str | None) -> str:
    """"nl" or "en": Dutch when no language is given, English for a language without a
    catalogue (as the interface's inline choices between two texts did)."""
    if lang is None:
        return DEFAULT_LANG
    return lang if lang in LANGS else "en"


def translator(lang: str | None = DEFAULT_LANG) -> Translator:
    """The (cached) translator of ``lang``, "nl" or "en" (None: Dutch; another: English)."""
    return _translator(_lang(lang))


@lru_cache(maxsize=len(LANGS))
def _translator(lang: str) -> Translator:
    path = catalogue_path(lang)
    if not path.exists():  # English: the msgids themselves
        return Translator(lang, NullTranslations())
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=lang, domain=DOMAIN)
    buffer = BytesIO()
    write_mo(buffer, catalog)  # leaves out fuzzy and untranslated entries
    buffer.seek(0)
    return Translator(lang, Translations(buffer, domain=DOMAIN))


@lru_cache(maxsize=len(LANGS))
def _locale(lang: str) -> Locale:
    return Locale.parse(_lang(lang))


def format_number(value: float | int, lang: str | None = DEFAULT_LANG, *,
                  decimals: int | None = None, grouping: bool = True) -> str:
    """``value`` with the locale's decimal sign and digit grouping (1.234,5 in Dutch);
    ``decimals`` fixes the number of decimals (else as many as the value has)."""
    fmt = None
    if decimals is not None:
        fmt = ("#,##0" if grouping else "0") + ("." + "0" * decimals if decimals else "")
    return _numbers.format_decimal(value, format=fmt, locale=_locale(lang),
                                   group_separator=grouping,
                                   decimal_quantization=decimals is not None)


def format_percent(value: float, lang: str | None = DEFAULT_LANG, *,
                   decimals: int = 0) -> str:
    """The fraction ``value`` as a percentage (0.125 → "12,5%" in Dutch with one decimal)."""
    fmt = "#,##0" + ("." + "0" * decimals if decimals else "") + "%"
    return _numbers.format_percent(value, format=fmt, locale=_locale(lang))


def number_symbols(lang: str | None = DEFAULT_LANG) -> dict[str, str]:
    """The locale's decimal sign, digit-group sign and euro prefix ("," "." "€ " in Dutch), for
    formatting in the browser (d3-format's locale in the dashboard's charts)."""
    locale = _locale(lang)
    euro = _numbers.format_currency(1, "EUR", locale=locale)
    return {"decimal": _numbers.get_decimal_symbol(locale),
            "group": _numbers.get_group_symbol(locale),
            "currency": euro[:len(euro) - len(euro.lstrip("€ \xa0"))].replace("\xa0", " ")}


def format_date(value: dt.date | dt.datetime, lang: str | None = DEFAULT_LANG,
                format: str = "long") -> str:
    """``value`` as a date in the locale ("long": 6 december 2026; "short", "medium", or a
    CLDR pattern such as "d MMMM y")."""
    return _dates.format_date(value, format=format, locale=_locale(lang))


def install_jinja(env: Any) -> None:
    """Give a Jinja environment ``_``, ``ngettext`` and ``pgettext`` globals that translate
    for the ``lang`` of the template's context (so two requests in two languages can render
    at once), ``number_symbols()`` (of :func:`number_symbols`) and the filters ``number``,
    ``percent`` and ``date_local``.

    Templates that use ``_`` inside macros import them ``with context``.
    """
    from jinja2 import pass_context

    def lang_of(context: Any) -> str:
        return _lang(context.get("lang"))

    @pass_context
    def gettext(context: Any, message: str, **variables: Any) -> str:
        text = translator(lang_of(context))(message)
        return text.format(**variables) if variables else text

    @pass_context
    def ngettext(context: Any, singular: str, plural: str, n: int, **variables: Any) -> str:
        text = translator(lang_of(context)).ngettext(singular, plural, n)
        return text.format(n=n, **variables)

    @pass_context
    def pgettext(context: Any, msgctxt: str, message: str) -> str:
        return translator(lang_of(context)).pgettext(msgctxt, message)

    @pass_context
    def number(context: Any, value: float | int, decimals: int | None = None) -> str:
        return format_number(value, lang_of(context), decimals=decimals)

    @pass_context
    def percent(context: Any, value: float, decimals: int = 0) -> str:
        return format_percent(value, lang_of(context), decimals=decimals)

    @pass_context
    def date_local(context: Any, value: dt.date, format: str = "long") -> str:
        return format_date(value, lang_of(context), format)

    @pass_context
    def symbols(context: Any) -> dict[str, str]:
        return number_symbols(lang_of(context))

    env.globals.update(_=gettext, gettext=gettext, ngettext=ngettext, pgettext=pgettext,
                       number_symbols=symbols)
    env.filters.update(number=number, percent=percent, date_local=date_local)
