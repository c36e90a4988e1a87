"""zicht.tabular: no cell of a CSV zicht writes runs as a formula in a spreadsheet (OWASP CSV
injection).  The rules of one cell, then every export: a value starting with ``=`` that flows
into the file comes out as ``'=``; where a file's inputs cannot carry free text, the test says so
and shows that the file is written through zicht.tabular.  Zicht's own values are never changed,
so the files it reads back round-trip exactly."""

import json
import shutil
from datetime import date
from importlib import resources

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
import yaml
from typer.testing import CliRunner

from zicht import tabular
from zicht.cli import app
from zicht.tabular import (
    CsvStreamWriter,
    neutralise,
    neutralise_arrow,
    neutralise_frame,
    write_csv,
)

FORMULA = '=HYPERLINK("http://x","y")'
KEY = bytes(range(32))
runner = CliRunner()


# ---------------------------------------------------------------------------------------------
# One cell
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [
    FORMULA, "=1+2", "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(A1:A9)",
    "\t=1+2", "\r=1+2", "-", "--3", "-inf", "+nan", "-3 ", "-1,5", "=", "@",
])
def test_a_text_that_starts_like_a_formula_gets_a_quote(value):
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["-3", "-0.25", "+1e-5", "+7", "-.5", "-3.", "1E+5", "-12e3"])
def test_a_plain_number_written_as_text_is_left_alone(value):
    # a spreadsheet reads it as a number; a quote would turn -3 into text
    assert neutralise(value) is value


@pytest.mark.parametrize("value", [
    -3, -0.25, float("-inf"), float("nan"), None, True, np.int64(-3), np.float64(-1e-5),
    pd.NA, date(2024, 1, 1), b"=x", ("=x",),
])
def test_values_that_are_not_text_are_left_alone(value):
    assert neutralise(value) is value


@pytest.mark.parametrize("value", [
    "Jan", "'t", "'=x", "R00000001", "2024-01-01", "van der", "", " =x", "a=b", "POL-01", "18-22",
    "threshold 0.5",
])
def test_other_text_is_left_alone(value):
    assert neutralise(value) is value


def test_a_frame_cells_and_column_names_are_neutralised_numbers_are_not():
    frame = pd.DataFrame({
        "text": pd.Series(["=1+2", "-3", None, "ok"], dtype="str"),
        "mixed": pd.Series(["@x", 3, None, "-0.5"], dtype=object),
        "category": pd.Categorical(["=a", "b", "=a", None]),
        "number": [-1, -2, 3, 4],
        "real": [-0.5, float("nan"), 1e-5, -2.0],
        FORMULA: ["a", "b", "c", "d"],
    })
    before = frame.copy()
    out = neutralise_frame(frame)
    pd.testing.assert_frame_equal(frame, before)  # the input is not changed
    assert list(out.columns) == ["text", "mixed", "category", "number", "real", "'" + FORMULA]
    assert out["text"].tolist()[:2] == ["'=1+2", "-3"] and out["text"].tolist()[3] == "ok"
    assert pd.isna(out["text"].iloc[2])
    assert out["mixed"].tolist()[:2] == ["'@x", 3] and out["mixed"].iloc[3] == "-0.5"
    assert out["category"].tolist()[:3] == ["'=a", "b", "'=a"]
    assert out["number"].tolist() == [-1, -2, 3, 4]
    pd.testing.assert_series_equal(out["real"], frame["real"])


def test_categories_that_would_merge_become_text():
    frame = pd.DataFrame({"c": pd.Categorical(["=x", "'=x", "y"])})
    assert neutralise_frame(frame)["c"].tolist() == ["'=x", "'=x", "y"]


def test_a_frame_with_nothing_to_neutralise_is_returned_as_it_is():
    frame = pd.DataFrame({"id": ["R1", "R2"], "n": [-1, 2], "x": [-0.5, 1.0],
                          "d": ["2024-01-01", "-3"]})
    assert neutralise_frame(frame) is frame


def test_write_csv_rows_empty_rows_text_index_and_atomic(tmp_path):
    rows = [{"row": 2, "field": FORMULA, "code": "unknown_column", "message": "-x"}]
    columns = ["row", "field", "code", "message"]
    assert write_csv(rows, columns=columns) == (
        "row,field,code,message\n" + f'2,"\'{FORMULA.replace(chr(34), 2 * chr(34))}",'
        "unknown_column,'-x\n")
    assert write_csv([], columns=columns) == "row,field,code,message\n"
    assert write_csv([[1, "=x"]], columns=["n", "@t"]) == "n,'@t\n1,'=x\n"
    indexed = pd.DataFrame({"v": [1]}, index=pd.Index(["=i"], name="=name"))
    assert write_csv(indexed, index=True) == "'=name,v\n'=i,1\n"
    path = tmp_path / "out.csv"
    write_csv(pd.DataFrame({"a": ["+x"]}), path, atomic=True)
    assert path.read_text() == "a\n'+x\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]  # no temporary file left


def test_arrow_tables_and_the_stream_writer(tmp_path):
    table = pa.table({"s": pa.array(["=a", "-3", None, "", "b", "\tx"]),
                      FORMULA: pa.array([1, -2, 3, 4, 5, 6], pa.int32())})
    out = neutralise_arrow(table)
    assert out.column_names == ["s", "'" + FORMULA]
    assert out.column(0).to_pylist() == ["'=a", "-3", None, "", "b", "'\tx"]
    assert out.column(1).to_pylist() == [1, -2, 3, 4, 5, 6]
    plain = pa.table({"s": pa.array(["a", None, "-1"]), "n": pa.array([-1, 2, 3])})
    assert neutralise_arrow(plain).equals(plain)
    with CsvStreamWriter(tmp_path / "s.csv", table.schema) as writer:
        writer.write_table(table)
        writer.write_table(table.slice(0, 1))
    back = pd.read_csv(tmp_path / "s.csv", dtype=str, keep_default_na=False)
    assert list(back.columns) == ["s", "'" + FORMULA]
    assert back["s"].tolist() == ["'=a", "-3", "", "", "b", "'\tx", "'=a"]


# ---------------------------------------------------------------------------------------------
# Every export
# ---------------------------------------------------------------------------------------------

def _recorded(monkeypatch) -> list[list[str]]:
    """The column names of every frame and Arrow table zicht.tabular neutralises."""
    seen: list[list[str]] = []
    frame, arrow = tabular.neutralise_frame, tabular.neutralise_arrow

    def record_frame(f):
        seen.append([str(c) for c in f.columns])
        return frame(f)

    def record_arrow(table, schema=None):
        seen.append(list(table.column_names))
        return arrow(table, schema)

    monkeypatch.setattr(tabular, "neutralise_frame", record_frame)
    monkeypatch.setattr(tabular, "neutralise_arrow", record_arrow)
    return seen


def _scenario(tmp_path):
    """A scenario file whose free text (a nationality, a list name) is a formula."""
    data = yaml.safe_load(resources.files("zicht.simulate").joinpath(
        "scenarios/independent.yaml").read_text(encoding="utf-8"))
    data["name"] = "injected"
    data["population"]["nationality"] = {FORMULA: 0.5, "NLD": 0.5}
    data["mse_lists"] = {FORMULA: ["POL", "ZC"], "B": ["NGO", "NLA"]}
    path = tmp_path / "injected.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def injected(tmp_path_factory):
    """`zicht simulate` with a formula in the scenario, once, with the frames it wrote."""
    tmp = tmp_path_factory.mktemp("injected")
    sim = tmp / "sim"
    mp = pytest.MonkeyPatch()
    seen = _recorded(mp)
    try:
        result = runner.invoke(app, ["simulate", "--scenario", str(_scenario(tmp)), "--years",
                                     "2024", "--victims", "300", "--formats", "csv,parquet",
                                     "--out", str(sim)])
    finally:
        mp.undo()
    assert result.exit_code == 0, result.output
    return sim, seen


def test_simulate_reports_and_truth_persons(injected):
    """simulate/reports.py: reports.csv and truth_persons.csv (a scenario's nationality)."""
    sim, _ = injected
    for name in ("reports.csv", "truth_persons.csv"):
        frame = pd.read_csv(sim / name, dtype=str, keep_default_na=False)
        nationality = frame["nationality"]
        assert (nationality == "'" + FORMULA).any(), name
        assert not nationality.str.startswith("=").any(), name


def test_simulate_capture_histories_of_a_year(injected):
    """simulate/reports.py: capture_histories_<year>.csv (a scenario's list name)."""
    sim, _ = injected
    header = pd.read_csv(sim / "capture_histories_2024.csv").columns
    assert list(header) == ["'" + FORMULA, "B", "count"]


def test_simulate_files_without_free_text_go_through_tabular(injected):
    """simulate/reports.py: truth_reports.csv (ids, years, reporter categories, noise labels),
    truth_person_years.csv (ids, numbers, categories) and capture_histories_by_category.csv
    (years, counts, reporter categories): a scenario's reporter categories are checked against
    the code list, so no free text reaches them; they are written through zicht.tabular."""
    sim, seen = injected
    for name in ("truth_reports", "truth_person_years", "capture_histories_by_category"):
        columns = pd.read_csv(sim / f"{name}.csv", nrows=0).columns.tolist()
        assert columns in seen, name


def test_the_simulators_own_values_round_trip_exactly(tmp_path):
    """Neutralising changes nothing the simulator produces: every CSV reads back equal to the
    Parquet of the same run, and no frame or table needed a change."""
    mp = pytest.MonkeyPatch()
    changed = []
    frame, arrow = tabular.neutralise_frame, tabular.neutralise_arrow

    def check_frame(f):
        out = frame(f)
        changed.extend([] if out is f else [list(f.columns)])
        return out

    def check_arrow(table, schema=None):
        out = arrow(table, schema)
        changed.extend([] if out.equals(table) else [table.column_names])
        return out

    mp.setattr(tabular, "neutralise_frame", check_frame)
    mp.setattr(tabular, "neutralise_arrow", check_arrow)
    try:
        result = runner.invoke(app, ["simulate", "--scenario", "nl-baseline", "--years",
                                     "2023-2024", "--victims", "1500", "--seed", "5",
                                     "--out", str(tmp_path)])
    finally:
        mp.undo()
    assert result.exit_code == 0, result.output
    assert changed == []
    for name in ("reports", "truth_reports", "truth_persons", "truth_person_years"):
        want = pq.read_table(tmp_path / f"{name}.parquet")
        got = pacsv.read_csv(tmp_path / f"{name}.csv", convert_options=pacsv.ConvertOptions(
            column_types=want.schema, strings_can_be_null=True,
            quoted_strings_can_be_null=False))
        assert got.select(want.column_names).equals(want), name


def test_simulate_chain_figures_go_through_tabular(injected, tmp_path, monkeypatch):
    """simulate/chain.py: the chain figures are counts, fixed measure codes and a fixed source
    text drawn from the truth's years and reporter categories - no free text; the file is
    written through zicht.tabular."""
    from zicht.simulate.chain import COLUMNS, write_chain

    sim, _ = injected
    seen = _recorded(monkeypatch)
    out = write_chain(sim, tmp_path / "chain.csv")
    assert list(COLUMNS) in seen and out.exists()


def test_linkage_folder(injected, tmp_path, monkeypatch):
    """linkage/run.py: review_queue.csv (a report's organisation) and every capture-history
    CSV (a list name)."""
    from zicht.linkage.run import link
    from zicht.registry.pseudonymise import Pseudonymiser

    monkeypatch.setenv("ZICHT_PSEUDONYM_KEY", KEY.hex())
    sim = shutil.copytree(injected[0], tmp_path / "sim")
    reports = pq.read_table(sim / "reports.parquet")
    organisation = reports.schema.get_field_index("organisation")
    pq.write_table(reports.set_column(organisation, "organisation",
                                      pa.array([FORMULA] * len(reports))),
                   sim / "reports.parquet")
    lists = {FORMULA: ("POL", "ZC"), "B": ("NGO", "NLA")}
    out = tmp_path / "linked"
    link(sim, out, pseudonymiser=Pseudonymiser(KEY), lists=lists)
    queue = pd.read_csv(out / "review_queue.csv", dtype=str, keep_default_na=False)
    assert len(queue) > 0
    assert (queue[["organisation_l", "organisation_r"]] == "'" + FORMULA).all().all()
    files = sorted(p.name for p in out.glob("capture_histories*.csv"))
    assert files == ["capture_histories.csv", "capture_histories_2024.csv",
                     "capture_histories_band.csv", "capture_histories_by_stratum.csv"]
    for name in files:
        header = pd.read_csv(out / name, nrows=0).columns.tolist()
        assert "'" + FORMULA in header and FORMULA not in header, name


def test_study_results(tmp_path, monkeypatch):
    """cli.py `zicht simulate study --results`: methods are checked against the estimators and
    the statuses are zicht's own messages, so no free text reaches the file; a status that
    starts like a formula (injected) still comes out quoted."""
    import zicht.study

    run = zicht.study.run_study

    def injected_run(*args, **kw):
        frame = run(*args, **kw)
        frame.loc[0, "status"] = FORMULA
        return frame

    monkeypatch.setattr(zicht.study, "run_study", injected_run)
    path = tmp_path / "study.csv"
    result = runner.invoke(app, ["simulate", "study", "--replicates", "2", "--victims", "200",
                                 "--method", "stepwise", "--workers", "1", "--results",
                                 str(path)])
    assert result.exit_code == 0, result.output
    assert pd.read_csv(path)["status"].iloc[0] == "'" + FORMULA


def _estimates_frame(linked):
    """yearly_estimates' columns: years, numbers, the method (checked) and zicht's status
    messages - no free text; the injected status shows the file is neutralised."""
    return pd.DataFrame([{"year": 2024, "method": "stepwise", "observed": 10, "estimate": 20.0,
                          "ci_low": 15.0, "ci_high": 30.0, "band_low": 18.0, "band_high": 22.0,
                          "combined_low": 14.0, "combined_high": 33.0, "status": FORMULA}])


def test_monitor_estimates(tmp_path, monkeypatch):
    """cli_monitor.py `zicht monitor estimates --out` (written to a temporary file, renamed)."""
    import zicht.monitor.estimates

    monkeypatch.setattr(zicht.monitor.estimates, "yearly_estimates",
                        lambda linked, method="stepwise", level=0.95, ci="bootstrap":
                        _estimates_frame(linked))
    path = tmp_path / "estimates.csv"
    result = runner.invoke(app, ["monitor", "estimates", str(tmp_path), "--out", str(path)])
    assert result.exit_code == 0, result.output
    assert pd.read_csv(path)["status"].iloc[0] == "'" + FORMULA
    assert sorted(p.name for p in tmp_path.iterdir()) == ["estimates.csv"]


def test_demo_estimates(tmp_path, monkeypatch):
    """demo.py: the demo's estimates.csv (the same table as `zicht monitor estimates`)."""
    import zicht.monitor.estimates
    from zicht import demo

    monkeypatch.setattr(zicht.monitor.estimates, "yearly_estimates", _estimates_frame)
    demo._estimate(demo.Demo(tmp_path, [2024], 1, None))
    assert pd.read_csv(tmp_path / "estimates.csv")["status"].iloc[0] == "'" + FORMULA


def test_chain_store(tmp_path):
    """monitor/chain.py: the stored chain_vN.csv (a figure's source, free text); the hash in
    the manifest is the hash of the file as written, so loading it checks out."""
    from zicht.monitor.chain import ChainStore

    source = tmp_path / "chain.csv"
    source.write_text("year,area,measure,value,development_line,source\n"
                      f'2023,NL,prosecutions,12,,"{FORMULA.replace(chr(34), 2 * chr(34))}"\n'
                      "2023,NL,fte,14.5,1,Programma\n", encoding="utf-8")
    store = ChainStore(tmp_path / "store")
    version = store.import_csv(source)
    text = (tmp_path / "store" / "chain_v1.csv").read_text(encoding="utf-8")
    assert "'" + FORMULA.replace('"', '""') in text
    loaded, frame = store.load()
    assert loaded == version
    assert set(frame["source"]) == {"'" + FORMULA, "Programma"}
    assert store.import_csv(source) == version  # the same figures: no new version
    manifest = json.loads((tmp_path / "store" / "manifest.json").read_text())
    assert len(manifest) == 1
