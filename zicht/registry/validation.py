"""Validation of a report ("melding") at intake, with messages in Dutch and English.

One function, :func:`validate_report`, checks one record of the import format (the columns
``zicht simulate`` writes, docs/SIMULATE.md) against the code lists of :mod:`zicht.codes`, ISO
3166 (pycountry, through :func:`zicht.tokens.normalise_country`, which linkage shares), date
rules and cross-field consistency.  It returns the record normalised (nationality written
as alpha-2, an English name or a Dutch adjective becomes alpha-3; codes upper-cased) and a list
of errors, each naming the field, in the requested language.  Intake paths (API, form, bulk
import) all call it; a bulk import is rejected whole when any row errs.

Place of exploitation: a municipality by its CBS code or by its CBS name (mapped to the code),
checked against CBS's list of the report's year where that year is shipped
(:mod:`zicht.registry.municipalities`), else for its form (GM + four digits).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .. import codes
from ..i18n import N_, NC_, Translator, translator
from ..tokens import normalise_country  # (also imported from here, as before)
from . import municipalities

CHANNELS = ("form", "api", "bulk")
LEGAL_BASES = ("obligation", "consent", "other")
CONSENTS = ("yes", "no", "not_required", "unknown")
COMPLAINT = ("yes", "no", "considering", "unknown")
REFLECTION = ("offered", "granted", "no", "unknown", "not_applicable")
YES_NO = ("yes", "no", "unknown")
SPECIAL_NATIONALITIES = ("STATELESS", "UNK")
REQUIRED = ("organisation", "reporter_category", "received_date")

MESSAGES = {  # English msgids; the Dutch is in the catalogue (zicht/i18n.py)
    "required": N_("{field} is required"),
    "code": N_("{field}: '{value}' is not a valid code (choose from {allowed})"),
    "date": N_("{field}: '{value}' is not a date (YYYY-MM-DD)"),
    "future": N_("{field}: {value} is in the future"),
    "too_old": N_("{field}: {value} is before {limit}"),
    "integer": N_("{field}: '{value}' is not a whole number"),
    "range": N_("{field}: {value} is not between {low} and {high}"),
    "country": N_("{field}: '{value}' is not an ISO country code"),
    "place": N_("{field}: '{value}' is not a municipality, island or country we know; choose a "
                "municipality from the list, or type its CBS code (GM0363), BQ-BO, BQ-SE, BQ-SA "
                "or a country"),
    "place_year": N_("{field}: {value} is not a municipality in {year} (CBS list of 1 January "
                     "{year}); choose the municipality that the place belonged to in {year}"),
    "reference_year": N_("{field}: {value} must be the year of {other} ({year}) or the year "
                         "before ({previous})"),
    "mismatch": N_("{field}: {value} does not match {other} ({other_value})"),
    "length": N_("{field}: longer than {limit} characters"),
    "character": N_("{field}: contains a NUL character (0x00)"),
    # no value in it: a warning names the row, not the person's date
    "year_only": N_("{field}: not a calendar date; only its year is kept"),
}
FIELD_CONTEXT = "field"  # msgctxt of a field's name in a message
# the fields named in Dutch in the Dutch messages (the catalogue has their names, in the
# context "field"); in English, and for the other fields, a message names the field as it is
FIELD_LABELS = (
    NC_("field", "organisation"), NC_("field", "reporter_category"),
    NC_("field", "received_date"), NC_("field", "reference_year"), NC_("field", "channel"),
    NC_("field", "legal_basis"), NC_("field", "consent_registration"),
    NC_("field", "consent_care_referral"), NC_("field", "birth_date"),
    NC_("field", "birth_year"), NC_("field", "age_at_report"), NC_("field", "age_band"),
    NC_("field", "sex"), NC_("field", "nationality"), NC_("field", "country_of_birth"),
    NC_("field", "exploitation_forms"), NC_("field", "nr_group"),
    NC_("field", "place_of_exploitation"), NC_("field", "complaint_filed"),
    NC_("field", "reflection_period"), NC_("field", "shelter_requested"),
    NC_("field", "shelter_placed"), NC_("field", "referred_to_care"),
    NC_("field", "means_of_control"), NC_("field", "recruiter_relation"),
)


@dataclass(frozen=True)
class FieldError:
    field: str
    code: str
    message: str


def validate_report(record: dict, lang: str = "nl",
                    today: dt.date | None = None) -> tuple[dict, list[FieldError]]:
    """(normalised record, errors) for one report; errors empty means valid."""
    today = today or dt.date.today()
    _ = translator(lang)
    errors: list[FieldError] = []
    out = {k: ("" if v is None or v != v else str(v).strip()) for k, v in record.items()}

    def err(field: str, code: str, message: str | None = None, **kw) -> None:
        if "other" in kw:
            kw["other"] = field_label(kw["other"], _)
        text = _(MESSAGES[message or code]).format(field=field_label(field, _), **kw)
        errors.append(FieldError(field, code, text))

    for field, value in list(out.items()):  # PostgreSQL cannot store NUL in text
        if "\x00" in value:
            err(str(field), "character")
            out[field] = value.replace("\x00", "")  # one error per field, not one per check

    def code_of(field: str, allowed, upper: bool = True) -> None:
        value = out.get(field, "")
        if not value:
            return
        value = value.upper() if upper else value.lower()
        if value not in allowed:
            err(field, "code", value=out[field], allowed=", ".join(allowed))
        else:
            out[field] = value

    for field in REQUIRED:
        if not out.get(field):
            err(field, "required")
    code_of("reporter_category", tuple(codes.REPORTER_CATEGORIES))
    code_of("sex", tuple(codes.SEXES))
    code_of("channel", CHANNELS, upper=False)
    code_of("legal_basis", LEGAL_BASES, upper=False)
    code_of("consent_registration", CONSENTS, upper=False)
    code_of("consent_care_referral", CONSENTS, upper=False)
    code_of("complaint_filed", COMPLAINT, upper=False)
    code_of("reflection_period", REFLECTION, upper=False)
    code_of("shelter_requested", YES_NO, upper=False)
    code_of("shelter_placed", YES_NO, upper=False)
    code_of("referred_to_care", YES_NO, upper=False)
    code_of("recruiter_relation", tuple(codes.RECRUITER_RELATIONS), upper=False)
    code_of("nr_group", tuple(codes.NR_GROUPS), upper=False)
    if out.get("age_band") and out["age_band"] not in codes.AGE_BANDS:
        err("age_band", "code", value=out["age_band"], allowed=", ".join(codes.AGE_BANDS))
    forms = [f.strip().upper() for f in out.get("exploitation_forms", "").split(";") if f.strip()]
    bad = [f for f in forms if f not in codes.FORMS]
    if bad:
        err("exploitation_forms", "code", value=";".join(bad), allowed=", ".join(codes.FORMS))
    elif forms:  # each form once (a repeated code is no information, and fits the column)
        out["exploitation_forms"] = ";".join(dict.fromkeys(forms))
    means = [m.strip().lower() for m in out.get("means_of_control", "").split(";")
             if m.strip()]
    bad = [m for m in means if m not in codes.MEANS_OF_CONTROL]
    if bad:
        err("means_of_control", "code", value=";".join(bad),
            allowed=", ".join(codes.MEANS_OF_CONTROL))
    elif means:
        out["means_of_control"] = ";".join(dict.fromkeys(means))
    for field in ("residence_status", "sector"):  # free text, stored in columns of 120
        if len(out.get(field, "")) > 120:
            err(field, "length", limit=120)

    received = _date(out, "received_date", err, today, dt.date(1990, 1, 1))
    birth = _date(out, "birth_date", err, today, dt.date(1900, 1, 1))
    ref_year = _int(out, "reference_year", err, 1990, today.year + 1)
    birth_year = _int(out, "birth_year", err, 1900, today.year)
    age = _int(out, "age_at_report", err, 0, 120)
    # the year a report counts in: the year it was received, or the year before (a report made
    # early in January of a victim of last year); never a later year
    if received and ref_year is not None and not received.year - 1 <= ref_year <= received.year:
        err("reference_year", "mismatch", message="reference_year", value=ref_year,
            other="received_date", year=received.year, previous=received.year - 1)
    if birth and birth_year is not None and birth_year != birth.year:
        err("birth_year", "mismatch", value=birth_year, other="birth_date",
            other_value=birth.isoformat())
    if birth and received and age is not None:
        true_age = received.year - birth.year - ((received.month, received.day)
                                                 < (birth.month, birth.day))
        if abs(true_age - age) > 1:
            err("age_at_report", "mismatch", value=age, other="birth_date",
                other_value=birth.isoformat())

    for field in ("nationality", "country_of_birth"):
        value = out.get(field, "")
        if value and value.upper() not in SPECIAL_NATIONALITIES:
            alpha3 = normalise_country(value)
            if alpha3 is None:
                err(field, "country", value=value)
            else:
                out[field] = alpha3
        elif value:
            out[field] = value.upper()
    place = out.get("place_of_exploitation", "")
    if place:
        _place(out, place, ref_year or (received.year if received else None), err)
    return out, errors


def _place(out: dict, place: str, year: int | None, err) -> None:
    """A municipality by code or CBS name (the list of ``year``), a BES island, or a country."""
    up = place.upper()
    if re.fullmatch(r"GM[0-9]{4}", up):
        if year is not None and municipalities.valid_in(up, year) is False:
            err("place_of_exploitation", "place", message="place_year", value=up, year=year)
        else:
            out["place_of_exploitation"] = up
    elif up in codes.CARIBBEAN_PLACES:
        out["place_of_exploitation"] = up
    elif (code := municipalities.code_of(place, year)) is not None:
        out["place_of_exploitation"] = code
    elif (alpha3 := normalise_country(place)) is not None:
        out["place_of_exploitation"] = alpha3
    else:
        err("place_of_exploitation", "place", value=place)


def keep_year_of_impossible_date(record: dict, lang: str = "nl") -> FieldError | None:
    """Turn a birth date written as a date but not on the calendar (``1979-02-29``,
    ``1985-04-31``) into its year: ``birth_date`` emptied, ``birth_year`` set.  Returns the
    warning to show for the row, or None when the record is left as it was (no such date, or
    a ``birth_year`` that names another year, which validation then reports).

    The year of such a date is almost always right (a day typed wrong), and the linkage tokens
    of a date that is no date are its year's alone, so nothing is lost that linkage used."""
    value = "" if record.get("birth_date") is None else str(record["birth_date"]).strip()
    match = re.fullmatch(r"([0-9]{4})-([0-9]{2})-([0-9]{2})", value)
    if match is None:
        return None
    try:
        dt.date.fromisoformat(value)
        return None  # a calendar date: validation judges it as it is
    except ValueError:
        pass
    year = int(match.group(1))
    given = "" if record.get("birth_year") is None else str(record["birth_year"]).strip()
    if given:
        try:
            same = float(given) == year
        except ValueError:
            same = False
        if not same:
            return None
    record["birth_date"], record["birth_year"] = "", str(year)
    _ = translator(lang)
    return FieldError("birth_date", "year_only", _(MESSAGES["year_only"]).format(
        field=field_label("birth_date", _)))


def field_label(field: str, _: Translator) -> str:
    """``field`` by its name in the translator's language (the field's own name in English
    and for a field without a translated name)."""
    return _.pgettext(FIELD_CONTEXT, field) if field in FIELD_LABELS else field


def _date(out, field, err, today, earliest) -> dt.date | None:
    value = out.get(field, "")
    if not value:
        return None
    try:  # strictly YYYY-MM-DD (fromisoformat alone also takes 20250314 and week dates)
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):  # \d takes any script
            raise ValueError(value)
        d = dt.date.fromisoformat(value)
    except ValueError:
        err(field, "date", value=value)
        return None
    if d > today:
        err(field, "future", value=d.isoformat())
    elif d < earliest:
        err(field, "too_old", value=d.isoformat(), limit=earliest.isoformat())
    else:
        out[field] = d.isoformat()
        return d
    return None


def _int(out, field, err, low, high) -> int | None:
    value = out.get(field, "")
    if not value:
        return None
    try:
        # ASCII digits only (int() also reads '٣٠' and '1_000')
        if not re.fullmatch(r"-?[0-9]+(\.0+)?", value):
            raise ValueError(value)
        number = int(float(value))
    except (ValueError, OverflowError):  # float('9' * 400) is inf
        err(field, "integer", value=value)
        return None
    if not low <= number <= high:
        err(field, "range", value=number, low=low, high=high)
        return None
    out[field] = str(number)
    return number
