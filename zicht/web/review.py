"""The linkage review queue as a page for analysts (``/dashboard/review``).

The folder of a ``zicht link`` run is named by ``ZICHT_LINKAGE`` (or
``app.state.linkage_path``; ``zicht serve --linkage DIR`` sets the variable).  The page lists the
pairs of its ``review_queue.csv``, most valuable first, 25 a page, each as one compact table
(:mod:`zicht.web.review_view`): the two reports side by side, every field by its label, whether
they agree, and the model's comparison levels (the folder holds no clear identifier; tokens are
never shown).  Filters (GET): a band of match probability, a list, open or decided pairs.

A decision is one button (match, no match, unsure) of a plain form; ``static/review.js`` adds
keys for them.  It is appended to the folder's ``decisions.jsonl`` through
:class:`zicht.linkage.review.DecisionLog`, with the analyst's user name, and counts from the
next ``zicht link`` run into the folder on, exactly as ``zicht link review --decide``.  The
latest standing decisions are listed with an undo button (``POST /dashboard/review/undo``),
which appends ``undecided`` for the pair: what ``zicht link review DIR --pair ID_L ID_R
--decide undecided`` does on the server.  Every page shown, every decision and every undo is
recorded in the registry's audit log.

Each form carries the ``seq`` of the pair's latest log entry the analyst saw (empty when
none).  The entry is appended only if that entry is still the latest (a compare-and-append
under a lock on the log, :meth:`DecisionLog.record` with ``expect``); otherwise someone else
decided meanwhile, and the analyst gets 409 with the standing decision, who made it and when.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlencode

import pandas as pd
from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from ..i18n import N_, format_number
from ..linkage.review import (
    DECISIONS,
    REVIEW_BAND,
    DecisionConflict,
    DecisionLog,
    review_order,
)
from ..registry.audit import Event
from ..registry.service import AccessDenied
from .deps import check_csrf, registry_of
from .pages import Page, _page
from .review_view import LEVELS, filter_options, query_of, read_filters, rows_of, select

__all__ = ["LEVELS", "PAGE_SIZE", "install"]

PAGE_SIZE = 25
RECENT = 10  # standing decisions listed with an undo button
QUEUE_FILE = "review_queue.csv"
LOG_FILE = "decisions.jsonl"
MAX_ID = 120  # report ids longer than this are not in any queue
UNDO_NOTE = "undone in the review page"

DECISION_TEXT = {
    "match": N_("same person (match)"),
    "no_match": N_("different persons (no match)"),
    "undecided": N_("unsure: stays in the queue"),
}
assert set(DECISION_TEXT) == set(DECISIONS)
BUTTON_TEXT = {"match": N_("Same person"), "no_match": N_("Different persons"),
               "undecided": N_("Unsure")}
KEYS = {"match": "j y", "no_match": "n", "undecided": "u"}  # review.js: data-keys
TEXT = {
    "recorded": N_("Recorded: {l} and {r}: {decision} (by {by}, {at}). This counts from the next "
                   "run of zicht link on."),
    "undone": N_("Undone: the decision on {l} and {r} is withdrawn (by {by}, {at}); the pair is "
                 "back in the queue."),
    "csrf": N_("The form has expired or is invalid (CSRF token). Reload the page and try again; "
               "nothing was recorded."),
    "choose": N_("Choose a decision for this pair; nothing was recorded."),
    "bad_decision": N_("Unknown decision {decision!r}: choose {choices}. Nothing was recorded."),
    "unknown_pair": N_("The pair {l} and {r} is not in this linkage's review queue. Nothing was "
                       "recorded."),
    "already": N_("The pair {l} and {r} has already been decided ({decision}, by {by}). Nothing "
                  "was recorded."),
    "conflict": N_("The pair {l} and {r} has been decided since you loaded the page: {decision} "
                   "(by {by}, {at}). Nothing was recorded."),
    "conflict_unsure": N_("Since you loaded the page, this was recorded about the pair {l} and "
                          "{r}: {decision} (by {by}, {at}). Nothing was recorded; look at the pair "
                          "again."),
    "stale": N_("The decisions log has changed since you loaded the page. Nothing was recorded; "
                "look at the pair {l} and {r} again."),
    "nothing_to_undo": N_("The pair {l} and {r} has no standing decision to undo. Nothing was "
                          "recorded."),
    "write_failed": N_("The decision could not be stored: {error}"),
    "log_unreadable": N_("The decisions log (decisions.jsonl) cannot be read: {error}"),
}


class QueueUnavailable(Exception):
    """The folder has no readable review queue."""


class LogUnreadable(Exception):
    """The folder's decisions log cannot be read."""


class Linkage:
    """The review queue and standing decisions of one linkage folder."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.log = DecisionLog(folder / LOG_FILE)
        try:
            self.queue = _read_queue(*_stamp(folder / QUEUE_FILE))
        except (OSError, ValueError) as exc:  # pandas' parser errors are ValueErrors
            raise QueueUnavailable(str(exc)) from None
        try:
            self.latest = _read_log(*_stamp(self.log.path))
        except (OSError, ValueError) as exc:
            raise LogUnreadable(str(exc).replace(str(folder), "").lstrip("/\\")) from None
        self.decided = {key for key, entry in self.latest.items()
                        if entry["decision"] != "undecided"}
        self.open = self.queue[[k not in self.decided for k in self.queue["key"]]]
        self.decided_in_queue = len(self.queue) - len(self.open)

    def find(self, id_l: str, id_r: str) -> pd.Series | None:
        key = _key(id_l, id_r)
        rows = self.queue[[k == key for k in self.queue["key"]]]
        return None if rows.empty else rows.iloc[0]

    def recent(self, limit: int = RECENT) -> list[dict]:
        """The latest standing decisions (match or no match), newest first."""
        standing = [e for e in self.latest.values() if e["decision"] != "undecided"]
        return sorted(standing, key=lambda e: -e["seq"])[:limit]

    def band(self) -> tuple[float, float]:
        """The review band of the run (summary.json)."""
        band = REVIEW_BAND
        try:
            summary = json.loads((self.folder / "summary.json").read_text(encoding="utf-8"))
            low, high = summary.get("review_band") or band
            band = (float(low), float(high))
        except (OSError, ValueError, TypeError):
            pass
        return band


def _key(id_l: str, id_r: str) -> tuple[str, str]:
    return tuple(sorted((str(id_l), str(id_r))))  # type: ignore[return-value]


def _stamp(path: Path) -> tuple[str, int, int]:
    try:
        st = path.stat()
    except FileNotFoundError:
        return str(path), -1, -1
    return str(path), st.st_mtime_ns, st.st_size


@lru_cache(maxsize=4)
def _read_queue(path: str, mtime_ns: int, size: int) -> pd.DataFrame:
    if mtime_ns < 0:
        raise FileNotFoundError(path)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    if not {"id_l", "id_r", "match_probability"} <= set(frame.columns):
        raise ValueError(f"{QUEUE_FILE}: not a review queue")
    frame["match_probability"] = pd.to_numeric(frame["match_probability"], errors="coerce")
    frame = frame[frame["match_probability"].notna()].copy()
    frame["key"] = [_key(a, b) for a, b in zip(frame["id_l"], frame["id_r"], strict=True)]
    frame = frame.drop_duplicates("key")
    # `zicht link` writes the file in this order (most valuable, then most uncertain
    # first); sorted again so that the page does not depend on it
    return review_order(frame)


@lru_cache(maxsize=4)
def _read_log(path: str, mtime_ns: int, size: int) -> dict[tuple[str, str], dict]:
    """The latest entry of every pair in the decisions log (``undecided`` included)."""
    if mtime_ns < 0:
        return {}
    return DecisionLog(Path(path)).latest()


def linkage_path(request: Request) -> Path | None:
    path = getattr(request.app.state, "linkage_path", None) or os.environ.get("ZICHT_LINKAGE")
    return Path(path) if path else None


def _tt(page: Page, key: str, **kw) -> str:
    return page._(TEXT[key]).format(**kw)


def _prob(p: float, lang: str) -> str:
    return format_number(p, lang, decimals=2, grouping=False)


def _number(x: float, lang: str) -> str:
    return format_number(x, lang, grouping=False)


def _decision_text(page: Page, decision: str) -> str:
    return page._(DECISION_TEXT[decision]) if decision in DECISION_TEXT else decision


def _at(entry: dict) -> str:
    return str(entry["at"]).replace("T", " ")


def _pair_view(page: Page, row: pd.Series, number: int, standing: dict | None) -> dict:
    decided = standing is not None and standing["decision"] != "undecided"
    return {"number": number, "id_l": row["id_l"], "id_r": row["id_r"],
            "probability": _prob(row["match_probability"], page.lang),
            "rows": rows_of(row, page.lang, page._), "field": f"decision-{number}",
            # the pair's latest log entry as the analyst sees it (an `undecided` may stand)
            "supersedes": "" if standing is None else standing["seq"],
            "standing": None if not decided else {
                "text": _decision_text(page, standing["decision"]), "by": standing["by"],
                "at": _at(standing), "seq": standing["seq"]}}


def _seen(value: str) -> int | None:
    """The form's ``supersedes``: the seq of the pair's latest entry the analyst saw (None
    when empty: they saw none; -1, which matches no entry, when it is not a seq)."""
    value = value.strip()
    if not value:
        return None
    return int(value) if value.isascii() and value.isdigit() and len(value) < 12 else -1


def _page_number(value: str | None, pages: int) -> int:
    number = int(value) if value and value.isascii() and value.isdigit() and len(value) < 7 \
        else 1
    return max(1, min(number, pages))


def install(app: FastAPI) -> None:
    """Add the review page, its decisions and its undo to ``app``."""

    def _render(page: Page, status: int = 200, *, page_no: str | None = "1",
                filters: dict[str, str] | None = None, error: str | None = None,
                failed: tuple[str, str] | None = None,
                confirmation: str | None = None) -> HTMLResponse:
        """The page at ``page_no`` of the pairs that pass ``filters``, with an ``error`` about
        the pair ``failed`` (its buttons are marked when it is on the page) or a
        ``confirmation``."""
        filters = filters or read_filters({})
        context = {"state": "ready", "pairs": [], "recent": [],
                   "errors": [], "error_of": {}, "confirmation": confirmation,
                   "page_no": 1, "pages": 1, "counts": None, "band": None, "shown": 0,
                   "filters": filters, "options": None, "query": query_of(filters),
                   "buttons": [(d, page._(BUTTON_TEXT[d]), KEYS[d]) for d in DECISIONS],
                   "urlencode": urlencode}
        if error:
            context["errors"] = [("queue", error)]
        folder = linkage_path(page.request)
        try:
            linkage = Linkage(folder) if folder is not None else None
        except QueueUnavailable:
            return page.render("dashboard_review.html", status, **{**context,
                                                                  "state": "no_queue"})
        except LogUnreadable as exc:
            context["errors"].append(("queue", _tt(page, "log_unreadable", error=str(exc))))
            return page.render("dashboard_review.html", max(status, 500),
                               **{**context, "state": "broken"})
        if linkage is None:
            return page.render("dashboard_review.html", status, **{**context, "state": "none"})
        chosen = select(linkage.queue, linkage.decided, filters)
        pages = max(1, -(-len(chosen) // PAGE_SIZE))
        number = _page_number(page_no, pages)
        start = (number - 1) * PAGE_SIZE
        pairs = [_pair_view(page, row, start + i + 1, linkage.latest.get(row["key"]))
                 for i, (_, row) in enumerate(chosen.iloc[start:start + PAGE_SIZE].iterrows())]
        for pair in pairs:
            if error and failed is not None and _key(*failed) == _key(pair["id_l"],
                                                                      pair["id_r"]):
                context["errors"] = [(pair["field"], error)]
                context["error_of"] = {pair["field"]: error}
        recent = [{"id_l": e["id_l"], "id_r": e["id_r"], "seq": e["seq"], "by": e["by"],
                   "at": _at(e), "text": _decision_text(page, e["decision"])}
                  for e in linkage.recent()]
        context.update(pairs=pairs, page_no=number, pages=pages, shown=len(chosen),
                       recent=recent, options=filter_options(linkage.queue, page.lang, page._),
                       band=[_number(b, page.lang) for b in linkage.band()],
                       counts={"total": len(linkage.queue), "decided": linkage.decided_in_queue,
                               "open": len(linkage.open)})
        # what this analyst was shown is audited, like every read of reports
        registry_of(page.request).record(page.actor, Event(
            "read", "linkage_review", None,
            {"page": number, "queue": len(linkage.queue), "open": len(linkage.open),
             "filters": query_of(filters),
             "pairs": [[p["id_l"], p["id_r"]] for p in pairs]}))
        return page.render("dashboard_review.html", status, **context)

    def _confirmation(page: Page, folder: Path | None, id_l: str, id_r: str,
                      undone: bool) -> str | None:
        """What the log holds for the pair, not what the address claims."""
        if folder is None or not id_l or not id_r:
            return None
        try:
            entry = _read_log(*_stamp(folder / LOG_FILE)).get(_key(id_l, id_r))
        except (OSError, ValueError):
            return None
        if entry is None:
            return None
        if undone and entry["decision"] == "undecided" and entry["note"] == UNDO_NOTE:
            return _tt(page, "undone", l=entry["id_l"], r=entry["id_r"], by=entry["by"],
                       at=_at(entry))
        return _tt(page, "recorded", l=entry["id_l"], r=entry["id_r"],
                   decision=_decision_text(page, entry["decision"]), by=entry["by"],
                   at=_at(entry))

    @app.get("/dashboard/review", response_class=HTMLResponse, include_in_schema=False)
    def review_page(request: Request):
        page = _page(request, "analyst")
        params = request.query_params
        confirmation = _confirmation(page, linkage_path(request), params.get("l", "")[:MAX_ID],
                                     params.get("r", "")[:MAX_ID], params.get("undone") == "1")
        return _render(page, page_no=params.get("page"), filters=read_filters(params),
                       confirmation=confirmation)

    def _back(page: str, filters: dict[str, str], entry: dict, **more) -> RedirectResponse:
        page = page if page.isascii() and page.isdigit() else "1"
        query = query_of(filters, page=page, l=entry["id_l"], r=entry["id_r"], **more)
        return RedirectResponse("/dashboard/review?" + urlencode(query), status_code=303)

    def _audit(request: Request, view: Page, entry: dict, **more) -> None:
        registry_of(request).record(view.actor, Event(
            "decide", "linkage_pair", f"{entry['id_l']} {entry['id_r']}"[:120],
            {"id_l": entry["id_l"], "id_r": entry["id_r"], "decision": entry["decision"],
             "seq": entry["seq"], "supersedes": entry["supersedes"], **more}))

    def _open_form(request: Request, view, csrf_token: str, id_l: str, id_r: str, page: str,
                   raw_filters: dict):
        """The opening a decision and its undo share: the form's ids, page and filters cut to
        size (an id longer than MAX_ID is in no queue: cut one past it, so that it matches
        nothing), the CSRF token checked and the linkage opened.  Returns the refusal to send, or
        (linkage, folder, id_l, id_r, page, filters, refuse)."""
        id_l, id_r = id_l.strip()[:MAX_ID + 1], id_r.strip()[:MAX_ID + 1]
        page = page.strip()[:8]
        filters = read_filters(raw_filters)

        def refuse(status: int, key: str, **kw) -> HTMLResponse:
            return _render(view, status, page_no=page, filters=filters,
                           error=_tt(view, key, **kw), failed=(id_l, id_r))

        try:
            check_csrf(request, view.csrf or "", csrf_token)
        except AccessDenied:
            return refuse(403, "csrf")
        folder = linkage_path(request)
        try:
            linkage = Linkage(folder) if folder is not None else None
        except (QueueUnavailable, LogUnreadable):
            linkage = None
        if linkage is None:  # the page says why
            return _render(view, 404, page_no=page)
        return linkage, folder, id_l, id_r, page, filters, refuse

    @app.post("/dashboard/review", response_class=HTMLResponse, include_in_schema=False)
    def decide(request: Request, csrf_token: str = Form(""), id_l: str = Form(""),
               id_r: str = Form(""), decision: str = Form(""), page: str = Form("1"),
               supersedes: str = Form(""), band: str = Form(""), list_: str = Form("",
                                                                                  alias="list"),
               status: str = Form("")):
        view = _page(request, "analyst")
        decision = decision.strip()[:40]
        opened = _open_form(request, view, csrf_token, id_l, id_r, page,
                            {"band": band, "list": list_, "status": status})
        if isinstance(opened, HTMLResponse):
            return opened
        linkage, folder, id_l, id_r, page, filters, refuse = opened
        if not decision:
            return refuse(422, "choose")
        if decision.replace("-", "_") not in DECISIONS:
            return refuse(422, "bad_decision", decision=decision,
                          choices=", ".join(DECISIONS))
        row = linkage.find(id_l, id_r) if id_l and id_r and id_l != id_r else None
        if row is None:
            return refuse(404, "unknown_pair", l=id_l[:MAX_ID], r=id_r[:MAX_ID])
        standing = linkage.latest.get(row["key"])

        def conflict(standing: dict | None) -> HTMLResponse:
            if standing is None:  # the entry the analyst saw is gone (the log was replaced)
                return refuse(409, "stale", l=row["id_l"], r=row["id_r"])
            unsure = standing["decision"] == "undecided"  # the pair is still open
            return refuse(409, "conflict_unsure" if unsure else "conflict",
                          l=row["id_l"], r=row["id_r"],
                          decision=_decision_text(view, standing["decision"]),
                          by=standing["by"], at=_at(standing))

        seen = _seen(supersedes)
        if seen != (standing["seq"] if standing is not None else None):
            return conflict(standing)  # decided meanwhile (someone else, a second click)
        if row["key"] in linkage.decided:  # a form naming a decision: undo it first
            return refuse(409, "already", l=row["id_l"], r=row["id_r"],
                          decision=_decision_text(view, standing["decision"]),
                          by=standing["by"])
        try:
            entry = linkage.log.record(row["id_l"], row["id_r"], decision,
                                       by=view.actor.username, expect=seen)
        except DecisionConflict as exc:  # between the read above and the lock
            return conflict(exc.standing)
        except OSError as exc:
            return refuse(500, "write_failed", error=exc.strerror or type(exc).__name__)
        except ValueError as exc:  # the log became unreadable meanwhile
            return refuse(500, "write_failed", error=str(exc).replace(str(folder), "")
                          .lstrip("/\\"))
        _audit(request, view, entry)
        return _back(page, filters, entry)

    @app.post("/dashboard/review/undo", response_class=HTMLResponse, include_in_schema=False)
    def undo(request: Request, csrf_token: str = Form(""), id_l: str = Form(""),
             id_r: str = Form(""), seq: str = Form(""), page: str = Form("1"),
             band: str = Form(""), list_: str = Form("", alias="list"), status: str = Form("")):
        """Withdraw the pair's standing decision, entry ``seq``: an ``undecided`` entry that
        supersedes it, as ``zicht link review DIR --pair ID_L ID_R --decide undecided`` appends,
        but refused when the pair's latest entry is no longer ``seq``."""
        view = _page(request, "analyst")
        opened = _open_form(request, view, csrf_token, id_l, id_r, page,
                            {"band": band, "list": list_, "status": status})
        if isinstance(opened, HTMLResponse):
            return opened
        linkage, folder, id_l, id_r, page, filters, refuse = opened
        standing = linkage.latest.get(_key(id_l, id_r)) if id_l and id_r else None
        if standing is None or standing["decision"] == "undecided":
            return refuse(409 if standing is not None else 404, "nothing_to_undo",
                          l=id_l[:MAX_ID], r=id_r[:MAX_ID])
        seen = _seen(seq)
        try:
            if seen != standing["seq"]:
                raise DecisionConflict(id_l, id_r, seen, standing)
            entry = linkage.log.record(standing["id_l"], standing["id_r"], "undecided",
                                       by=view.actor.username, note=UNDO_NOTE, expect=seen)
        except DecisionConflict as exc:  # decided again meanwhile: say what stands now
            now = exc.standing or standing
            return refuse(409, "conflict_unsure" if now["decision"] == "undecided"
                          else "conflict", l=now["id_l"], r=now["id_r"],
                          decision=_decision_text(view, now["decision"]), by=now["by"],
                          at=_at(now))
        except (OSError, ValueError) as exc:
            return refuse(500, "write_failed", error=getattr(exc, "strerror", None)
                          or str(exc).replace(str(folder), "").lstrip("/\\"))
        _audit(request, view, entry, undo=standing["seq"])
        return _back(page, filters, entry, undone="1")
