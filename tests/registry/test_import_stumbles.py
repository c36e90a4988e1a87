"""What a first bulk import of a real file runs into (issue 17, point 5).

- One birth date that is no calendar date (``1979-02-29``) refuses the whole file; the refusal
  says how to keep such a date as its year (``--year-only-dates``), and with it the file goes
  in, a warning per row and the date's year tokens only.
- ``--create-orgs`` for a file that is then refused removes the organisations it added: all or
  nothing means nothing.
- ``remove_organisation``: the admin's (and operator's) only, and only for an organisation
  nothing refers to.
"""

from __future__ import annotations

import csv

import pytest
from typer.testing import CliRunner

from zicht import cli
from zicht.registry.errors import AccessDenied, Conflict, NotFound
from zicht.registry.service import operator
from zicht.tokens import Identity

from .conftest import PEOPLE

runner = CliRunner()
HEADER = ["source_ref", "organisation", "reporter_category", "received_date", "reference_year",
          "given_name", "surname", "birth_date", "birth_year", "sex"]


def _file(path, rows):
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def _row(ref, org, birth_date="", birth_year="", category="ZC", surname="Popescu"):
    return [ref, org, category, "2025-03-01", "2025", "Ioana", surname, birth_date, birth_year,
            "F"]


def _codes(registry):
    return {o["code"] for o in registry.organisations(operator("test"))}


@pytest.fixture
def cli_env(database_url, monkeypatch):
    monkeypatch.setenv("ZICHT_DATABASE_URL", database_url)


def test_impossible_birth_date_refused_with_a_hint_then_kept_as_its_year(
        registry, cli_env, tmp_path):
    file = _file(tmp_path / "reports.csv", [
        _row("A-1", "ZC-NEW", "1994-05-17"),
        _row("A-2", "ZC-NEW", "", "1979", surname="Ionescu"),
        _row("A-3", "ZC-NEW", "1979-02-29", surname="Ionescu"),  # 1979 is no leap year
        _row("A-4", "ZC-NEW", "1985-13-40", surname="Dumitru"),  # not even a month
    ])
    refused = runner.invoke(cli.app, ["import", str(file), "--create-orgs"])
    assert refused.exit_code == 2
    assert "--year-only-dates" in " ".join(refused.stderr.split())
    assert "row 3" in refused.stderr and "row 4" in refused.stderr
    assert "ZC-NEW" not in _codes(registry)  # the organisation went with the refusal
    assert registry.counts()["reports"] == 0

    kept = runner.invoke(cli.app, ["import", str(file), "--create-orgs", "--year-only-dates"])
    assert kept.exit_code == 0, kept.output
    said = " ".join(kept.stdout.split())  # rich wraps at the terminal's width
    assert "4 reports registered" in said and "2 birth dates kept as year only" in said
    warnings = [line for line in kept.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 2 and "row 3" in warnings[0] and "row 4" in warnings[1]
    assert "1979" not in kept.stderr and "02-29" not in kept.stderr  # no date in a message

    frame = registry.export_frame(operator("test")).set_index("source_ref")
    tokens = registry.pseudonymiser.tokens(Identity("Ioana", None, "Ionescu", None, "1979"))
    assert not frame.loc["A-3", "tok_birth_date"]
    assert frame.loc["A-3", "tok_birth_year"] == tokens["tok_birth_year"]
    assert frame.loc["A-3", "tok_birth_year"] == frame.loc["A-2", "tok_birth_year"]
    assert frame.loc["A-1", "tok_birth_date"]  # a calendar date is kept as it was
    imports = [e for e in registry.audit_entries(operator("test"))
               if e["action"] == "import"]
    assert imports[-1]["detail"]["birth_dates_kept_as_year"] == 2


def test_year_only_dates_does_not_override_a_birth_year_that_disagrees(registry, cli_env,
                                                                       tmp_path):
    file = _file(tmp_path / "reports.csv", [_row("B-1", "ZC-NEW", "1979-02-29", "1980")])
    result = runner.invoke(cli.app, ["import", str(file), "--create-orgs", "--year-only-dates"])
    assert result.exit_code == 2  # two different years: the file is wrong, say so
    assert "birth_date" in result.stderr
    assert registry.counts()["reports"] == 0


def test_refused_import_with_create_orgs_leaves_nothing_behind(registry, cli_env, tmp_path):
    op = operator("test")
    registry.add_organisation(op, "POL-01", "Politie 1", "POL")
    before = _codes(registry)
    file = _file(tmp_path / "reports.csv", [
        _row("C-1", "POL-01", "1990-01-01", category="POL"),
        _row("C-2", "NGO-NEW", "1991-01-01", category="NGO"),
        _row("C-3", "GEM-NEW", "1992-01-01", category="GEM"),
        _row("C-4", "GEM-NEW", "1993-01-01", category="XYZ"),  # an unknown category
    ])
    result = runner.invoke(cli.app, ["import", str(file), "--create-orgs"])
    assert result.exit_code == 2
    assert "removed 2 of the 2 organisations" in " ".join(result.stderr.split())
    assert _codes(registry) == before
    assert registry.counts()["reports"] == 0
    entries = registry.audit_entries(op)
    removed = {e["object_id"] for e in entries
               if e["action"] == "delete" and e["object_type"] == "organisation"}
    assert removed == {"NGO-NEW", "GEM-NEW"}
    assert registry.verify_audit(op).ok
    again = runner.invoke(cli.app, ["import", str(file), "--create-orgs"])  # and again
    assert again.exit_code == 2 and _codes(registry) == before


def test_remove_organisation_for_every_role(world):
    registry = world.registry
    registry.add_organisation(operator("test"), "SPARE", "Spare", "NGO")
    for name, (role, _org) in PEOPLE.items():
        if role != "admin":
            with pytest.raises(AccessDenied):
                registry.remove_organisation(world.actor(name), "SPARE")
    admin = world.actor("admin")
    with pytest.raises(Conflict):  # users belong to it
        registry.remove_organisation(admin, "ORG-A")
    with pytest.raises(NotFound):
        registry.remove_organisation(admin, "NO-SUCH")
    registry.remove_organisation(admin, "SPARE")
    assert "SPARE" not in _codes(registry)
    assert {"ORG-A", "ORG-B"} <= _codes(registry)
