"""The linkage review queue as a page for analysts (``/dashboard/review``).

The folder of a ``zicht link`` run is named by ``ZICHT_LINKAGE`` (or
``app.state.linkage_path``; ``zicht serve --linkage DIR`` sets the variable).  The page lists the
pairs of its ``review_queue.csv`` that nobody has decided yet, most valuable first, with the
comparison levels and the reports' non-identifying attributes (the folder holds no clear
identifier; tokens are never shown).  A decision is appended to the folder's ``decisions.jsonl``
through :class:`zicht.linkage.review.DecisionLog`, with the analyst's user name, and counts from
the next ``zicht link`` run into the folder on, exactly as ``zicht link review --decide``.  Every
page shown and every decision is recorded in the registry's audit log.

Each pair's form carries the ``seq`` of the pair's latest log entry the analyst saw (empty when
none).  The decision is appended only if that entry is still the latest (a compare-and-append
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

PAGE_SIZE = 25
QUEUE_FILE = "review_queue.csv"
LOG_FILE = "decisions.jsonl"
MAX_ID = 120  # report ids longer than this are not in any queue

# the reports' non-identifying attributes that `zicht link` writes beside the levels
ATTRIBUTES = {
    "reporter_category": N_("reporter category"),
    "organisation": N_("organisation"),
    "reference_year": N_("reference year"),
    "sex": N_("sex"),
    "nationality": N_("nationality"),
    "age_band": N_("age band"),
    "place_of_exploitation": N_("place of exploitation"),
}
COMPARISONS = {
    "name": N_("name"),
    "birth_date": N_("birth date"),
    "age": N_("birth year implied by age"),
    "year": N_("years between the reports"),
    "sex": N_("sex"),
    "context": N_("place and form of exploitation"),
}
# the comparison levels of zicht.linkage.model (its English labels are the msgids)
LEVELS = (
    N_("no name to compare"),
    N_("all name parts equal (order free)"),
    N_("one part equal, the other similar"),
    N_("both parts similar (Dice >= 0.75)"),
    N_("all parts similar, order free (Dice >= 0.8)"),
    N_("surname equal, given name missing"),
    N_("given name equal, surname missing"),
    N_("one part missing, the other similar"),
    N_("surname equal"),
    N_("given name equal"),
    N_("all parts loosely similar (Dice >= 0.55)"),
    N_("different"),
    N_("birth year unknown"),
    N_("date equal"),
    N_("day and month swapped"),
    N_("year and month equal"),
    N_("day and month equal, year differs"),
    N_("year equal, date known on one side only"),
    N_("year equal, date differs"),
    N_("age unknown, or birth years compared"),
    N_("same implied birth year"),
    N_("implied birth years 1 apart"),
    N_("implied birth years 2-3 apart"),
    N_("year unknown"),
    N_("same year"),
    N_("1 year apart"),
    N_("2-3 years apart"),
    N_("further apart"),
    N_("nothing to compare"),
    N_("place and forms equal"),
    N_("place equal"),
    N_("sex unknown"),
    N_("sex equal"),
)
DECISION_TEXT = {
    "match": N_("same person (match)"),
    "no_match": N_("different persons (no match)"),
    "undecided": N_("unsure: stays in the queue"),
}
assert set(DECISION_TEXT) == set(DECISIONS)
TEXT = {
    "intro": N_("The linkage model could not tell whether these pairs of reports are one person "
                "(match probability between {low} and {high}). The pairs whose answer matters "
                "most to the estimate come first: where the model is least sure, between "
                "reports of one year on different lists. You see pseudonymised data only: the "
                "reports' identifiers, the probability and each comparison's level; no names, "
                "birth dates or tokens."),
    "effect": N_("A decision counts from the next run of zicht link into this folder on: a match "
                 "links the pair, no match keeps the two reports in different persons, and from "
                 "30 decisions on they also recalibrate the model's probabilities. Until that "
                 "run the persons, capture histories and estimates stay as they are. Unsure only "
                 "records that you looked at the pair; it stays in the queue. To change or "
                 "withdraw a decision, use zicht link review FOLDER --pair ID_L ID_R --decide "
                 "undecided on the server."),
    "counts": N_("{total} pairs in the queue of the last linkage run: {decided} decided, {open} "
                 "still to review."),
    "empty": N_("There are no pairs left to review."),
    "no_linkage": N_("No linkage is configured. Start the server with zicht serve --linkage FOLDER "
                     "(the folder of zicht link --out), or set ZICHT_LINKAGE."),
    "no_queue": N_("The configured linkage folder has no readable review_queue.csv. Run zicht link "
                   "into that folder first."),
    "log_unreadable": N_("The decisions log (decisions.jsonl) cannot be read: {error}"),
    "pair": N_("Pair {number}"),
    "probability": N_("Match probability: {p}"),
    "levels": N_("Comparisons of pair {number}"),
    "comparison": N_("comparison"),
    "level": N_("level"),
    "reports": N_("Reports of pair {number}"),
    "attribute": N_("attribute"),
    "decision": N_("Your decision on pair {number}"),
    "record": N_("Record decision"),
    "recorded": N_("Recorded: {l} and {r}: {decision} (by {by}, {at}). This counts from the next "
                   "run of zicht link on."),
    "page_of": N_("Page {number} of {pages}"),
    "pagination": N_("Pagination"),
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
    "write_failed": N_("The decision could not be stored: {error}"),
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


def _level_text(page: Page, label: str) -> str:
    if label in LEVELS:
        return page._(label)
    # the levels of the tok_extra_* comparisons: "<name> unknown", "<name> equal"
    if label.endswith(" unknown"):
        return page._("{name} unknown").format(name=label[: -len(" unknown")])
    if label.endswith(" equal"):
        return page._("{name} equal").format(name=label[: -len(" equal")])
    return label


def _pair_view(page: Page, row: pd.Series, number: int, standing: dict | None) -> dict:
    _ = page._
    levels = [(_(COMPARISONS[c[6:]]) if c[6:] in COMPARISONS else c[6:], _level_text(page, row[c]))
              for c in row.index if c.startswith("level_") and row[c] != ""]
    unknown = _("unknown")
    attributes = [(_(name), row.get(f"{a}_l") or unknown, row.get(f"{a}_r") or unknown)
                  for a, name in ATTRIBUTES.items()
                  if f"{a}_l" in row.index or f"{a}_r" in row.index]
    return {"number": number, "id_l": row["id_l"], "id_r": row["id_r"],
            "probability": _prob(row["match_probability"], page.lang),
            "levels": levels, "attributes": attributes, "field": f"decision-{number}",
            # the pair's latest log entry as the analyst sees it (an `undecided` may stand)
            "supersedes": "" if standing is None else standing["seq"]}


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
    """Add the review page to ``app``."""

    def _render(page: Page, status: int = 200, *, page_no: str | None = "1",
                error: str | None = None, failed: tuple[str, str] | None = None,
                confirmation: str | None = None) -> HTMLResponse:
        """The page at ``page_no`` with an ``error`` about the pair ``failed`` (its radio
        group is marked invalid when it is on the page) or a ``confirmation``."""
        context = {"state": "ready", "pairs": [],
                   "errors": [], "error_of": {}, "confirmation": confirmation,
                   "page_no": 1, "pages": 1, "counts": None, "band": None,
                   "choices": [(d, _decision_text(page, d)) for d in DECISIONS]}
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
        pages = max(1, -(-len(linkage.open) // PAGE_SIZE))
        number = _page_number(page_no, pages)
        start = (number - 1) * PAGE_SIZE
        pairs = [_pair_view(page, row, start + i + 1, linkage.latest.get(row["key"]))
                 for i, (_, row) in enumerate(linkage.open.iloc[start:start + PAGE_SIZE]
                                              .iterrows())]
        for pair in pairs:
            if error and failed is not None and _key(*failed) == _key(pair["id_l"],
                                                                      pair["id_r"]):
                context["errors"] = [(pair["field"], error)]
                context["error_of"] = {pair["field"]: error}
        context.update(pairs=pairs, page_no=number, pages=pages,
                       band=[_number(b, page.lang) for b in linkage.band()],
                       counts={"total": len(linkage.queue), "decided": linkage.decided_in_queue,
                               "open": len(linkage.open)})
        # what this analyst was shown is audited, like every read of reports
        registry_of(page.request).record(page.actor, Event(
            "read", "linkage_review", None,
            {"page": number, "queue": len(linkage.queue), "open": len(linkage.open),
             "pairs": [[p["id_l"], p["id_r"]] for p in pairs]}))
        return page.render("dashboard_review.html", status, **context)

    @app.get("/dashboard/review", response_class=HTMLResponse, include_in_schema=False)
    def review_page(request: Request):
        page = _page(request, "analyst")
        params = request.query_params
        confirmation = None
        folder = linkage_path(request)
        id_l, id_r = params.get("l", "")[:MAX_ID], params.get("r", "")[:MAX_ID]
        if folder is not None and id_l and id_r:
            try:  # say what the log holds for the pair, not what the address claims
                entry = _read_log(*_stamp(folder / LOG_FILE)).get(_key(id_l, id_r))
            except (OSError, ValueError):
                entry = None
            if entry is not None:
                confirmation = _tt(page, "recorded", l=entry["id_l"], r=entry["id_r"],
                                   decision=_decision_text(page, entry["decision"]),
                                   by=entry["by"], at=str(entry["at"]).replace("T", " "))
        return _render(page, page_no=params.get("page"), confirmation=confirmation)

    @app.post("/dashboard/review", response_class=HTMLResponse, include_in_schema=False)
    def decide(request: Request, csrf_token: str = Form(""), id_l: str = Form(""),
               id_r: str = Form(""), decision: str = Form(""), page: str = Form("1"),
               supersedes: str = Form("")):
        view = _page(request, "analyst")
        # an id longer than MAX_ID is in no queue: cut one past it, so that it matches nothing
        id_l, id_r = id_l.strip()[:MAX_ID + 1], id_r.strip()[:MAX_ID + 1]
        decision, page = decision.strip()[:40], page.strip()[:8]

        def refuse(status: int, key: str, **kw) -> HTMLResponse:
            return _render(view, status, page_no=page, error=_tt(view, key, **kw),
                           failed=(id_l, id_r))

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
                          by=standing["by"], at=str(standing["at"]).replace("T", " "))

        seen = _seen(supersedes)
        if seen != (standing["seq"] if standing is not None else None):
            return conflict(standing)  # decided meanwhile (someone else, a second click)
        if row["key"] in linkage.decided:  # a form naming a decision: not changed here
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
        registry_of(request).record(view.actor, Event(
            "decide", "linkage_pair", f"{entry['id_l']} {entry['id_r']}"[:120],
            {"id_l": entry["id_l"], "id_r": entry["id_r"], "decision": entry["decision"],
             "seq": entry["seq"], "supersedes": entry["supersedes"]}))
        page = page if page.isascii() and page.isdigit() else "1"
        target = "/dashboard/review?" + urlencode({"page": page, "l": entry["id_l"],
                                                   "r": entry["id_r"]})
        return RedirectResponse(target, status_code=303)
