"""The CTDC export (zicht.monitor.ctdc, ``zicht export --format ctdc``; issue 21): the codebook's
columns filled from a registry by hand, and the k = 11 protection checked by an attacker's count
written here apart from the module's, on a simulated registry."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from zicht.cli import app
from zicht.monitor.ctdc import (
    COLUMNS,
    MISSING,
    QUASI_IDENTIFIERS,
    CtdcError,
    anonymise,
    k_check,
    table,
)


def _reports(rows: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    reports = pd.DataFrame([{
        "report_id": f"R{i}", "reference_year": str(r.get("year", 2024)),
        "sex": r.get("sex", "F"), "age_at_report": r.get("age"),
        "age_band": r.get("band", ""), "nationality": r.get("nationality", "NLD"),
        "exploitation_forms": r.get("forms", "SEX"),
        "place_of_exploitation": r.get("place", "GM0363"),
        "means_of_control": r.get("means", ""), "recruiter_relation": r.get("recruiter", ""),
        "given_name": "never read"} for i, r in enumerate(rows)])
    links = pd.DataFrame({"report_id": reports["report_id"],
                          "person_id": [r["person"] for r in rows]})
    return reports, links


def test_the_codebooks_columns_from_a_registry_by_hand():
    reports, links = _reports([
        {"person": "A", "age": 16, "band": "12-17", "nationality": "ROU", "forms": "SEX;LAB",
         "means": "debt_bondage;threats", "recruiter": "unknown", "place": "BQ-BO"},
        {"person": "A", "age": 17, "means": "withholds_documents", "recruiter": "employer",
         "nationality": "ROU", "place": "BQ-BO"},
        {"person": "B", "sex": "M", "band": "30-39", "forms": "CRIM", "place": "BEL"},
        {"person": "C", "sex": "X", "nationality": "", "forms": "", "place": "",
         "recruiter": "intimate_partner"},
        {"person": "A", "year": 2023, "forms": "ORG"},
    ])
    out = table(reports, links)
    assert list(out.columns) == list(COLUMNS) and len(out) == 4  # A twice: 2023 and 2024
    assert "given_name" not in out.columns
    a = out[(out["yearOfRegistration"] == 2024) & (out["citizenship"] == "RO")].iloc[0]
    assert (a["gender"], a["ageBroad"], a["majorityStatus"]) == ("Female", "9--17", "Minor")
    assert (a["meansOfControlDebtBondage"], a["meansOfControlThreats"],
            a["meansOfControlWithholdsDocuments"], a["meansOfControlPhysicalAbuse"],
            a["meansOfControlNotSpecified"]) == (1, 1, 1, 0, 0)
    assert a["meansOfControlConcatenated"] == "DebtBondage;Threats;WithholdsDocuments"
    assert (a["isSexualExploit"], a["isForcedLabour"], a["isSexAndLabour"],
            a["isOrganRemoval"]) == (1, 1, 1, 0)
    assert a["typeOfExploitConcatenated"] == "Forced labour;Sexual exploitation"
    # an employer over "unknown": CTDC has no employer, so Other
    assert (a["RecruiterRelationship"], a["recruiterRelationOther"],
            a["recruiterRelationUnknown"]) == ("Other", 1, 0)
    assert a["CountryOfExploitation"] == "BQ"  # Bonaire
    b = out[out["gender"] == "Male"].iloc[0]
    assert (b["ageBroad"], b["majorityStatus"], b["CountryOfExploitation"]) == (
        MISSING, "Adult", "BE")
    # nothing recorded of the modus operandi: every means missing, "not specified" set
    assert b["meansOfControlThreats"] == MISSING and b["meansOfControlNotSpecified"] == 1
    assert b["isOtherExploit"] == 1 and b["RecruiterRelationship"] == MISSING
    c = out[out["RecruiterRelationship"] == "Intimate Partner"].iloc[0]
    assert (c["gender"], c["citizenship"], c["isSexualExploit"],
            c["CountryOfExploitation"]) == (MISSING, MISSING, MISSING, MISSING)
    assert c["meansOfControlThreats"] == 0  # recorded (a recruiter), no means named
    with pytest.raises(CtdcError, match="no person"):
        table(reports, links.iloc[1:])


def _attacker_smallest(frame: pd.DataFrame) -> int:
    """The smallest group of rows an attacker can single out by the quasi-identifiers:
    counted here with a dictionary, not with the module's code."""
    groups: dict[tuple, int] = {}
    for row in frame[list(QUASI_IDENTIFIERS)].itertuples(index=False):
        key = tuple(str(v) for v in row)
        groups[key] = groups.get(key, 0) + 1
    return min(groups.values())


@pytest.fixture(scope="module")
def simulated():
    from zicht.simulate.reports import simulate_years
    from zicht.simulate.scenario import load_scenario

    reports, truths = [], []
    for batch in simulate_years(load_scenario("nl-baseline", {"victims_per_year": 5000}),
                                [2023, 2024], 6):
        reports.append(batch.reports)
        truths.append(batch.truth)
    r = pd.concat(reports, ignore_index=True)
    r["nationality"] = r["nationality"].where(r["nationality"].str.len() == 3, "")
    t = pd.concat(truths, ignore_index=True)
    return r, pd.DataFrame({"report_id": r["report_id"], "person_id": t["person_id"]})


def test_k_anonymity_holds_after_protection_and_not_before(simulated):
    raw = table(*simulated)
    assert _attacker_smallest(raw) == 1 and not k_check(raw)[0]
    protected, report = anonymise(raw, k=11)
    assert _attacker_smallest(protected) >= 11 and k_check(protected) == (True,
                                                                        report.smallest)
    assert report.rows_in == len(raw) and report.rows_out == len(protected) == \
        len(raw) - report.removed
    # a means is kept row for row (the row labels are kept), or -99 for a whole year where
    # fewer than 11 persons of the year had it; so no year counts 1 to 10 persons with it
    kept = raw.loc[protected.index]
    means = [c for c in COLUMNS if c.startswith("meansOfControl") and c not in (
        "meansOfControlConcatenated", "meansOfControlNotSpecified")]
    for column in means:
        for _year, rows in protected.groupby("yearOfRegistration"):
            values = rows[column].astype(str)
            ones = int((values == "1").sum())
            assert ones == 0 or ones >= 11, (column, ones)
            if not (values == str(MISSING)).all():
                assert values.tolist() == kept.loc[rows.index, column].astype(str).tolist()
    assert any((protected[c].astype(str) == str(MISSING)).all() for c in means)  # children
    # what was suppressed is what the report counts
    for column, n in report.suppressed.items():
        changed = (raw.loc[protected.index, column].astype(str)
                   != protected[column].astype(str)).sum()
        assert changed <= n, column
    # the dependent flags go with their suppressed text
    hidden = protected["typeOfExploitConcatenated"] == MISSING
    assert (protected.loc[hidden, "isSexualExploit"] == MISSING).all()


def test_rows_in_a_large_enough_combination_are_not_touched():
    """Eleven persons alike and one from elsewhere: the eleven stay as they were; the one
    loses its citizenship, then whatever else singles it out, and is removed when even its
    year does."""
    rows = [{"person": f"P{i}", "age": 30} for i in range(11)]
    rows += [{"person": "Q", "age": 30, "nationality": "BRA"}]
    raw = table(*_reports(rows))
    protected, report = anonymise(raw, k=11)
    alike = raw.index[raw["citizenship"] == "NL"]
    pd.testing.assert_frame_equal(raw.loc[alike].astype(str), protected.loc[alike].astype(str))
    assert report.suppressed["citizenship"] == 1
    # after its citizenship, Q is alone in (2024, Female, 30--38, -99, ...): removed
    assert report.removed == 1 and len(protected) == 11


def test_rows_that_cannot_be_protected_are_removed():
    reports, links = _reports([{"person": f"P{i}", "year": 2020 + i} for i in range(5)])
    protected, report = anonymise(table(reports, links), k=11)
    assert protected.empty and report.removed == 5 and report.rows_out == 0
    with pytest.raises(CtdcError, match="at least 2"):
        anonymise(table(reports, links), k=1)


def test_the_command_writes_the_protected_table_and_what_was_done(linked_simulation,
                                                                  tmp_path):
    runner = CliRunner()
    out = tmp_path / "ctdc"
    result = runner.invoke(app, ["export", "--format", "ctdc", "--out", str(out), "--linked",
                                 str(linked_simulation.linked), "--reports",
                                 str(linked_simulation.sim)])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out / "ctdc.csv")
    assert list(frame.columns) == list(COLUMNS)
    assert _attacker_smallest(frame) >= 11
    done = json.loads((out / "ctdc_protection.json").read_text())
    assert done["k"] == 11 and done["rows_out"] == len(frame)
    assert "k = 11" in result.output
    # without the linkage folder: refused, nothing written
    refused = runner.invoke(app, ["export", "--format", "ctdc", "--out", str(tmp_path / "no"),
                                  "--reports", str(linked_simulation.sim)])
    assert refused.exit_code == 2 and "--linked" in refused.output
    assert not (tmp_path / "no").exists()
    bad = runner.invoke(app, ["export", "--format", "xml", "--out", str(tmp_path / "x")])
    assert bad.exit_code == 2 and "parquet or ctdc" in bad.output
