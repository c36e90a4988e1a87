"""Server-rendered pages (Dutch by default, English with ``?lang=en``), no JavaScript.

The pages call the same :class:`Registry` operations as the API, so access rules and the audit
log are the same.  State-changing forms carry the session's CSRF token; the login form a
double-submit token (cookie + field), since there is no session yet.
"""

from __future__ import annotations

import datetime as dt
import secrets
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile  # what request.form() returns

from .. import codes
from ..i18n import LANGS, N_, format_date, install_jinja, translator
from ..registry import municipalities
from ..registry import validation as v
from ..registry.audit import Actor
from ..registry.models import ROLES
from ..registry.security import same
from ..registry.service import (
    AccessDenied,
    NotFound,
    RegistryError,
    ReportFilter,
    Unauthenticated,
    ValidationFailed,
)
from .deps import (
    LANG_COOKIE,
    SESSION_COOKIE,
    check_csrf,
    client_address,
    lang_of,
    registry_of,
    session_of,
)

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
install_jinja(TEMPLATES.env)  # _("...") in the page's language
LOGIN_CSRF_COOKIE = "zicht_login_csrf"
PAGE_SIZE = 50

# the form's fields: label, description (English msgids, translated at use)
FIELD_TEXT = {
    "source_ref": (N_("Your reference"), N_("Optional; prevents registering twice.")),
    "received_date": (N_("Date of report"), None),
    "reference_year": (N_("Reference year"), None),
    "legal_basis": (N_("Legal basis"), None),
    "consent_registration": (N_("Consent to registration"), None),
    "consent_care_referral": (N_("Consent to care referral"), None),
    "given_name": (N_("Given names"), None),
    "surname_prefix": (N_("Surname prefix"), None),
    "surname": (N_("Surname"), None),
    "birth_date": (N_("Date of birth"), None),
    "birth_year": (N_("Year of birth (when the date is unknown)"), None),
    "age_at_report": (N_("Age at report"), None),
    "sex": (N_("Sex"), None),
    "nationality": (N_("Nationality"), None),
    "country_of_birth": (N_("Country of birth"), None),
    "residence_status": (N_("Residence status"), None),
    "exploitation_forms": (N_("Forms of exploitation"), None),
    "sector": (N_("Sector"), None),
    "nr_group": (N_("NR group"), None),
    "place_of_exploitation": (N_("Place of exploitation"),
                              N_("A municipality by its name (as on CBS's list of the report's "
                                 "year), Bonaire, Sint Eustatius, Saba, or a country abroad.")),
    "complaint_filed": (N_("Complaint filed"), None),
    "reflection_period": (N_("Reflection period"), None),
    "shelter_requested": (N_("Shelter requested"), None),
    "shelter_placed": (N_("Shelter placed"), None),
    "referred_to_care": (N_("Referred to care"), None),
    "means_of_control": (N_("Means of control"),
                         N_("How the victim was controlled; tick every one that applies.")),
    "recruiter_relation": (N_("Recruiter's relation to the victim"), None),
}

CHOICES = {  # value lists of the validation module, labelled
    "legal_basis": {"obligation": N_("legal obligation"), "consent": N_("consent"),
                    "other": N_("other")},
    "consent": {"yes": N_("yes"), "no": N_("no"), "not_required": N_("not required"),
                "unknown": N_("unknown")},
    "complaint_filed": {"yes": N_("yes"), "no": N_("no"), "considering": N_("considering"),
                        "unknown": N_("unknown")},
    "reflection_period": {"offered": N_("offered"), "granted": N_("granted"), "no": N_("no"),
                          "unknown": N_("unknown"), "not_applicable": N_("not applicable")},
    "yes_no": {"yes": N_("yes"), "no": N_("no"), "unknown": N_("unknown")},
}
assert set(CHOICES["legal_basis"]) == set(v.LEGAL_BASES)
assert set(CHOICES["consent"]) == set(v.CONSENTS)
assert set(CHOICES["complaint_filed"]) == set(v.COMPLAINT)
assert set(CHOICES["reflection_period"]) == set(v.REFLECTION)
assert set(CHOICES["yes_no"]) == set(v.YES_NO)

FORM_FIELDS = tuple(FIELD_TEXT)
# the other fields a saved report shows
SHOWN_TEXT = {"created_at": N_("Received by the registry"),
              "reporter_category": N_("Reporter category"), "channel": N_("Received through"),
              "age_band": N_("Age group")}
CHANNELS = {"form": N_("form"), "api": N_("API"), "bulk": N_("file import")}
VALUE_CHOICES = {"legal_basis": "legal_basis", "consent_registration": "consent",
                 "consent_care_referral": "consent", "complaint_filed": "complaint_filed",
                 "reflection_period": "reflection_period", "shelter_requested": "yes_no",
                 "shelter_placed": "yes_no", "referred_to_care": "yes_no"}
VALUE_CODES = {"sex": codes.SEXES, "reporter_category": codes.REPORTER_CATEGORIES,
               "nr_group": codes.NR_GROUPS, "recruiter_relation": codes.RECRUITER_RELATIONS}
MULTI_CODES = {"exploitation_forms": codes.FORMS, "means_of_control": codes.MEANS_OF_CONTROL}
HIDDEN = ("id", "organisation", "age_band")  # shown apart, or only when no age was given
NAV = {  # role -> pages in the menu
    "reporter": (("/", N_("Home")), ("/reports", N_("Reports")),
                 ("/reports/new", N_("New report")), ("/import", N_("Import file"))),
    "analyst": (("/", N_("Home")), ("/reports", N_("Reports"))),
    "admin": (("/", N_("Home")), ("/admin", N_("Administration"))),
    "auditor": (("/", N_("Home")), ("/audit", N_("Audit log"))),
}
ROLE_NAMES = {"reporter": N_("reporter"), "analyst": N_("analyst"),
              "admin": N_("administrator"), "auditor": N_("auditor")}
assert tuple(ROLE_NAMES) == ROLES
INTRO = {  # role -> the home page's first sentence
    "reporter": N_("Register a report of a possible victim, or import a file of reports."),
    "analyst": N_("You see the pseudonymised reports of every organisation."),
    "admin": N_("Manage organisations, users and API tokens."),
    "auditor": N_("Read and verify the audit log."),
}


def _opts(table: dict, lang: str) -> list[tuple[str, str]]:
    """(code, label) in ``lang`` of a table of English msgids, or of one of ``zicht.codes``'
    tables of (nl, en) pairs (whose labels are not in the catalogue)."""
    _ = translator(lang)
    return [(code, _(label) if isinstance(label, str) else label[LANGS.index(lang)])
            for code, label in table.items()]


def place_label(code: str, lang: str) -> str:
    """A place of exploitation by its name: a municipality (with its CBS code), a BES island,
    or a country."""
    if code.startswith("GM"):
        name = municipalities.name_of(code)
        return f"{name} ({code})" if name else code
    if code in codes.CARIBBEAN_PLACES:
        return codes.CARIBBEAN_PLACES[code]
    return dict(countries(lang)).get(code, code)


def place_options(year: int | None) -> list[tuple[str, str]]:
    """(value to type, code) suggestions of the place field: the municipalities of ``year``,
    the three public bodies of the Caribbean Netherlands."""
    out = [(f"{name} ({code})", code) for code, name in municipalities.of_year(year or 0).items()]
    return out + [(codes.CARIBBEAN_PLACES[c], c) for c in ("BQ-BO", "BQ-SE", "BQ-SA")]


@lru_cache(maxsize=2)
def countries(lang: str) -> list[tuple[str, str]]:
    """ISO 3166 countries as (alpha-3, name) in the page's language (pycountry's Dutch
    translations where present), sorted by name."""
    import gettext

    import pycountry

    translate = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang],
                                    fallback=True).gettext
    _ = translator(lang)
    items = [(c.alpha_3, translate(c.name)) for c in pycountry.countries]
    special = [("STATELESS", _("stateless")), ("UNK", _("unknown"))]
    return special + sorted(items, key=lambda x: x[1])


class Page:
    """Rendering context shared by every page."""

    def __init__(self, request: Request, actor: Actor | None, csrf: str | None):
        self.request, self.actor, self.csrf = request, actor, csrf
        self.lang = lang_of(request)
        self._ = translator(self.lang)

    def render(self, template: str, status: int = 200, **context) -> HTMLResponse:
        here = self.request.url.path
        nav = [(href, self._(label), href == here)
               for href, label in NAV.get(self.actor.role if self.actor else "", ())]
        response = TEMPLATES.TemplateResponse(self.request, template, {
            "lang": self.lang, "actor": self.actor, "csrf": self.csrf,
            "nav_items": nav, "field_label": self.field_label, "value_label": self.value_label,
            "role_label": self.role_label,
            **context}, status_code=status)
        lang_param = self.request.query_params.get("lang")
        if lang_param in ("nl", "en"):
            response.set_cookie(LANG_COOKIE, lang_param, max_age=365 * 86400, samesite="lax",
                                secure=self._secure(), httponly=True)
        return response

    def role_label(self, role: str) -> str:
        """A role by its name in the page's language."""
        return self._(ROLE_NAMES[role]) if role in ROLE_NAMES else role

    def field_label(self, name: str) -> str:
        entry = FIELD_TEXT.get(name)
        if entry is None:
            return self._(SHOWN_TEXT[name]) if name in SHOWN_TEXT else name
        return self._(entry[0])

    def value_label(self, field: str, value) -> str:
        """A stored value as the reader reads it: a code by its label, a date in the page's
        language, a place by its name."""
        lang, _ = self.lang, self._
        text = "" if value is None else str(value)
        if field in VALUE_CHOICES:
            return _(CHOICES[VALUE_CHOICES[field]].get(text, text))
        if field in VALUE_CODES:
            pair = VALUE_CODES[field].get(text)
            return pair[LANGS.index(lang)] if pair else text
        if field in MULTI_CODES:
            table = MULTI_CODES[field]
            return ", ".join(table[f][LANGS.index(lang)] if f in table else f
                             for f in text.split(";") if f)
        if field in ("nationality", "country_of_birth"):
            return dict(countries(lang)).get(text, text)
        if field == "place_of_exploitation":
            return place_label(text, lang)
        if field == "channel":
            return _(CHANNELS[text]) if text in CHANNELS else text
        if field == "received_date" and text:
            return format_date(dt.date.fromisoformat(text[:10]), lang, "long")
        if field == "created_at" and text:
            when = dt.datetime.fromisoformat(text)
            if when.tzinfo is None:
                when = when.replace(tzinfo=dt.UTC)
            local = when.astimezone(AMSTERDAM)
            return f"{format_date(local, lang, 'long')} {local:%H:%M}"
        return text

    def report_rows(self, report: dict) -> list[tuple[str, str]]:
        """(label, value) of every field of a saved report that has a value."""
        rows = []
        for key, value in report.items():
            if key in HIDDEN or value in (None, ""):
                continue
            rows.append((self.field_label(key), self.value_label(key, value)))
        if report.get("age_at_report") in (None, "") and report.get("age_band") not in (
                None, "", "unknown"):
            rows.append((self.field_label("age_band"), str(report["age_band"])))
        return rows

    def field_help(self, name: str) -> str | None:
        entry = FIELD_TEXT.get(name)
        if entry is None or entry[1] is None:
            return None
        return self._(entry[1])

    def _secure(self) -> bool:
        return registry_of(self.request).settings.cookie_secure


def any_page(request: Request) -> Page:
    """The page context of whoever asks: a logged-in user or an anonymous visitor."""
    session = session_of(request)
    return Page(request, session[0] if session else None, session[1] if session else None)


def _page(request: Request, *roles: str) -> Page:
    """The page context of a logged-in user with one of ``roles`` (else redirect/403)."""
    session = session_of(request)
    if session is None:
        raise _LoginRequired()
    actor, csrf = session
    if roles and actor.role not in roles:
        raise AccessDenied(f"role {actor.role!r} may not open this page")
    return Page(request, actor, csrf)


class _LoginRequired(Exception):
    pass


def _form_csrf(request: Request, page: Page, token: str | None) -> None:
    check_csrf(request, page.csrf or "", token)


def role_home(page: Page) -> HTMLResponse:
    """A logged-in user's start page (``/``, which zicht/web/public.py serves: visitors get the
    public home there)."""
    assert page.actor is not None
    return page.render("home.html", intro=page._(INTRO[page.actor.role]))


def install(app: FastAPI) -> None:
    """Add the pages to ``app``."""

    def pages_error(request: Request, exc: Exception) -> Response:
        if isinstance(exc, _LoginRequired | Unauthenticated):
            target = "/login?" + urlencode({"next": request.url.path})
            return RedirectResponse(target, status_code=303)
        page = any_page(request)
        _ = page._
        if isinstance(exc, NotFound):
            return page.render("message.html", 404, title=_("Not found"), text=_(
                "This page or report does not exist or is not visible to you."))
        if isinstance(exc, AccessDenied):
            return page.render("message.html", 403, title=_("No access"),
                               text=_("You do not have access to this page."))
        return page.render("message.html", getattr(exc, "status", 400),
                           title=_("There is a problem"), text=str(exc))

    app.state.pages_error = pages_error
    app.add_exception_handler(_LoginRequired, pages_error)

    # -- login ---------------------------------------------------------------------------
    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_form(request: Request):
        page = Page(request, None, None)
        return _login_page(page, None)

    def _login_page(page: Page, error: str | None, status: int = 200) -> HTMLResponse:
        token = secrets.token_urlsafe(32)
        nxt = page.request.query_params.get("next", "/")
        response = page.render("login.html", status, login_csrf=token, error=error,
                               next=nxt if nxt.startswith("/") and not nxt.startswith("//")
                               else "/")
        response.set_cookie(LOGIN_CSRF_COOKIE, token, max_age=3600, httponly=True,
                            samesite="strict", secure=page._secure(), path="/login")
        return response

    @app.post("/login", include_in_schema=False)
    def login(request: Request, username: str = Form("", max_length=200),
              password: str = Form("", max_length=500), csrf_token: str = Form(""),
              next: str = Form("/", max_length=500)):
        page = Page(request, None, None)
        cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
        if not cookie or not csrf_token or not same(cookie, csrf_token):
            return _login_page(page, page._("There is a problem"), 403)
        try:
            secret, _csrf, _actor = registry_of(request).login(username, password,
                                                               client_address(request))
        except Unauthenticated:
            return _login_page(page, page._("Wrong user name or password."), 401)
        target = next if next.startswith("/") and not next.startswith("//") else "/"
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(SESSION_COOKIE, secret, httponly=True, samesite="strict",
                            secure=page._secure(),
                            max_age=registry_of(request).settings.session_hours * 3600)
        response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
        return response

    @app.post("/logout", include_in_schema=False)
    def logout(request: Request, csrf_token: str = Form("")):
        page = _page(request)
        _form_csrf(request, page, csrf_token)
        registry_of(request).logout(request.cookies.get(SESSION_COOKIE, ""), page.actor)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    # -- reports -------------------------------------------------------------------------
    @app.get("/reports", response_class=HTMLResponse, include_in_schema=False)
    def reports(request: Request, page_no: int = 1, year: str = "", organisation: str = ""):
        page = _page(request, "reporter", "analyst")
        page_no = max(1, min(page_no, 10**6))
        year_value = int(year) if year.isascii() and year.isdigit() and len(year) == 4 else None
        flt = ReportFilter(organisation=organisation[:40] or None, year=year_value,
                           limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE)
        result = registry_of(request).list_reports(page.actor, flt)
        pages = max(1, -(-result.total // PAGE_SIZE))
        return page.render("reports.html", result=result, page_no=page_no, pages=pages,
                           year=year_value or "", organisation=organisation[:40],
                           created=request.query_params.get("created"))

    @app.get("/reports/new", response_class=HTMLResponse, include_in_schema=False)
    def new_report(request: Request):
        page = _page(request, "reporter")
        return _report_form(page, {"received_date": dt.date.today().isoformat()}, [])

    def _report_form(page: Page, values: dict, errors: list, status: int = 200):
        lang = page.lang
        consent = _opts(CHOICES["consent"], lang)
        return page.render(
            "report_form.html", status, values=values,
            errors=[(e.field, e.message) for e in errors],
            error_of={e.field: e.message for e in errors},
            help=page.field_help,
            options={
                "legal_basis": _opts(CHOICES["legal_basis"], lang),
                "consent_registration": consent, "consent_care_referral": consent,
                "sex": _opts(codes.SEXES, lang),
                "nationality": countries(lang), "country_of_birth": countries(lang),
                "exploitation_forms": _opts(codes.FORMS, lang),
                "nr_group": _opts(codes.NR_GROUPS, lang),
                "complaint_filed": _opts(CHOICES["complaint_filed"], lang),
                "reflection_period": _opts(CHOICES["reflection_period"], lang),
                "shelter_requested": _opts(CHOICES["yes_no"], lang),
                "shelter_placed": _opts(CHOICES["yes_no"], lang),
                "referred_to_care": _opts(CHOICES["yes_no"], lang),
                "means_of_control": _opts(codes.MEANS_OF_CONTROL, lang),
                "recruiter_relation": _opts(codes.RECRUITER_RELATIONS, lang),
            },
            places=place_options(_year_of(values)))

    @app.post("/reports/new", response_class=HTMLResponse, include_in_schema=False)
    async def submit_report(request: Request):
        page = _page(request, "reporter")
        form = await request.form()
        _form_csrf(request, page, str(form.get("csrf_token", "")))
        values = {k: str(form.get(k, "")).strip()[:500] for k in FORM_FIELDS}
        values["exploitation_forms"] = ";".join(str(x) for x in form.getlist(
            "exploitation_forms"))[:200]
        values["means_of_control"] = ";".join(str(x) for x in form.getlist(
            "means_of_control"))[:400]
        record = {k: val for k, val in values.items() if val}
        try:
            outcome = registry_of(request).submit(page.actor, [record], channel="form",
                                                  lang=page.lang)
        except ValidationFailed as exc:
            return _report_form(page, values, [e for _, e in exc.errors], 422)
        report_id = outcome.reports[0]["id"]
        return RedirectResponse(f"/reports/{report_id}?saved=1", status_code=303)

    @app.get("/reports/{report_id}", response_class=HTMLResponse, include_in_schema=False)
    def report_detail(request: Request, report_id: str):
        page = _page(request, "reporter", "analyst")
        report = registry_of(request).get_report(page.actor, report_id[:64])
        return page.render("report.html", report=report, rows=page.report_rows(report),
                           saved=request.query_params.get("saved") == "1")

    # -- import --------------------------------------------------------------------------
    @app.get("/import", response_class=HTMLResponse, include_in_schema=False)
    def import_form(request: Request):
        page = _page(request, "reporter")
        return page.render("import.html", result=None, errors=[])

    @app.post("/import", response_class=HTMLResponse, include_in_schema=False)
    async def import_upload(request: Request):
        page = await run_in_threadpool(_page, request, "reporter")
        registry = registry_of(request)
        limit = registry.settings.imports.max_bytes
        form = await request.form(max_part_size=limit + 1)  # the BodyGuard bounds the body
        _form_csrf(request, page, str(form.get("csrf_token", "")))
        upload = form.get("file")
        no_identity = form.get("no_identity") == "1"
        if not isinstance(upload, UploadFile) or not upload.filename:
            msg = page._("Choose a file.")
            return page.render("import.html", 422, result=None, total=1,
                               errors=[{"row": None, "field": "file", "message": msg}])
        # parsing, validation and staging in a worker thread: never on the event loop; the
        # file is read from the spooled upload as the import needs it (its size checked there)
        try:
            result = await run_in_threadpool(registry.import_file, page.actor, upload.file,
                                             upload.filename, lang=page.lang,
                                             allow_no_identity=no_identity)
        except ValidationFailed as exc:
            return page.render("import.html", 422, result=None, errors=exc.as_list(),
                               total=exc.total, no_identity=no_identity)
        except RegistryError as exc:
            return page.render("import.html", exc.status, result=None, total=1,
                               errors=[{"row": None, "field": "file", "message": str(exc)}])
        return page.render("import.html", result=result, errors=[])

    # -- admin ---------------------------------------------------------------------------
    @app.get("/admin", response_class=HTMLResponse, include_in_schema=False)
    def admin(request: Request):
        page = _page(request, "admin")
        return _admin_page(page)

    def _admin_page(page: Page, status: int = 200, errors=(), token=None, values=None):
        reg = registry_of(page.request)
        orgs = reg.organisations(page.actor)
        return page.render("admin.html", status, orgs=orgs,
                           org_options=[(o["code"], f"{o['code']} - {o['name']}") for o in orgs],
                           users=reg.users(page.actor), errors=list(errors), token=token,
                           values=values or {},
                           categories=_opts(codes.REPORTER_CATEGORIES, page.lang),
                           roles=[(r, page.role_label(r)) for r in ROLE_NAMES])

    @app.post("/admin/organisations", response_class=HTMLResponse, include_in_schema=False)
    def admin_add_org(request: Request, csrf_token: str = Form(""),
                      code: str = Form("", max_length=40), name: str = Form("", max_length=200),
                      category: str = Form("", max_length=8)):
        page = _page(request, "admin")
        _form_csrf(request, page, csrf_token)
        try:
            registry_of(request).add_organisation(page.actor, code, name, category)
        except (ValidationFailed, RegistryError) as exc:
            return _admin_page(page, exc.status, _messages(exc))
        return RedirectResponse("/admin", status_code=303)

    @app.post("/admin/users", response_class=HTMLResponse, include_in_schema=False)
    def admin_add_user(request: Request, csrf_token: str = Form(""),
                       username: str = Form("", max_length=80),
                       role: str = Form("", max_length=16),
                       organisation: str = Form("", max_length=40),
                       password: str = Form("", max_length=200)):
        page = _page(request, "admin")
        _form_csrf(request, page, csrf_token)
        try:
            registry_of(request).add_user(page.actor, username, role, password or None,
                                          organisation or None)
        except (ValidationFailed, RegistryError) as exc:
            return _admin_page(page, exc.status, _messages(exc))
        return RedirectResponse("/admin", status_code=303)

    @app.post("/admin/tokens", response_class=HTMLResponse, include_in_schema=False)
    def admin_add_token(request: Request, csrf_token: str = Form(""),
                        username: str = Form("", max_length=80),
                        name: str = Form("", max_length=120)):
        page = _page(request, "admin")
        _form_csrf(request, page, csrf_token)
        try:
            token = registry_of(request).add_token(page.actor, username, name or "api")
        except RegistryError as exc:
            return _admin_page(page, exc.status, _messages(exc))
        return _admin_page(page, 201, token=token)

    # -- audit ---------------------------------------------------------------------------
    @app.get("/audit", response_class=HTMLResponse, include_in_schema=False)
    def audit_page(request: Request, before: int | None = None):
        page = _page(request, "auditor")
        entries = registry_of(request).audit_entries(page.actor, 100, before)
        return page.render("audit.html", entries=entries, verification=None)

    @app.post("/audit/verify", response_class=HTMLResponse, include_in_schema=False)
    def audit_verify(request: Request, csrf_token: str = Form("")):
        page = _page(request, "auditor")
        _form_csrf(request, page, csrf_token)
        result = registry_of(request).verify_audit(page.actor)
        entries = registry_of(request).audit_entries(page.actor, 100)
        return page.render("audit.html", entries=entries, verification=result)


def _year_of(values: dict) -> int | None:
    """The year whose municipalities the form suggests: its reference year, else the year of
    its report date."""
    for field, length in (("reference_year", 4), ("received_date", 10)):
        text = str(values.get(field) or "")
        if len(text) == length and text[:4].isdigit():
            return int(text[:4])
    return None


def _messages(exc: Exception) -> list[str]:
    if isinstance(exc, ValidationFailed):
        return [e.message for _, e in exc.errors]
    return [str(exc)]
