"""Refusals are audited and precise: a wrong role leaves a "denied" entry, an unknown
organisation is the only error of its row, re-importing a file answers 200, and dates are
strictly YYYY-MM-DD."""

import pytest
from fastapi.testclient import TestClient

from zicht.registry.audit import Actor
from zicht.registry.service import AccessDenied, ValidationFailed, operator
from zicht.registry.validation import validate_report
from zicht.web.app import create_app

from .conftest import report


def test_wrong_role_is_refused_and_audited(world):
    reg = world.registry
    analyst = world.actor("analyst")
    with pytest.raises(AccessDenied):
        reg.add_organisation(analyst, "X-1", "x", "NGO")
    entries = reg.audit_entries(Actor("t", "auditor"), limit=5)
    denied = [e for e in entries if e["action"] == "denied"]
    assert denied and denied[0]["actor"] == "analyst"
    assert denied[0]["object_id"] == "add_organisation"
    assert denied[0]["detail"]["allowed"] == ["admin"]


def test_unknown_organisation_is_the_only_error(registry):
    with pytest.raises(ValidationFailed) as exc:
        registry.submit(operator("test"), [report(organisation="NOPE")])
    assert [(row, e.field) for row, e in exc.value.errors] == [(1, "organisation")]


def test_reimport_answers_200_with_nothing_created(world):
    client = TestClient(create_app(world.registry))
    head = {"Authorization": f"Bearer {world.tokens['rep_a']}"}
    body = b"source_ref,received_date,sex,surname\nRI-1,2025-03-01,F,Smit\nRI-2,2025-03-02,M,Smit\n"
    first = client.post("/api/v1/imports", headers=head, files={"file": ("r.csv", body)})
    again = client.post("/api/v1/imports", headers=head, files={"file": ("r.csv", body)})
    assert (first.status_code, first.json()["created"]) == (201, 2)
    assert (again.status_code, again.json()["created"], again.json()["existing"]) == (200, 0, 2)


@pytest.mark.parametrize("value", ["20250314", "2025-W11-5", "2025-3-14", "14-03-2025"])
def test_dates_must_be_written_yyyy_mm_dd(value):
    _, errors = validate_report({"organisation": "X", "reporter_category": "ZC",
                                 "received_date": value}, lang="en")
    assert [(e.field, e.code) for e in errors] == [("received_date", "date")]
