"""Reports reach linkage pseudonymised, from a registry export or a simulation folder, and
tokens made under another key are refused."""

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from zicht.cli import app
from zicht.linkage import LinkageInputError, load_reports
from zicht.registry.pseudonymise import CLEAR_COLUMNS, TOKEN_FIELDS, Pseudonymiser
from zicht.registry.service import Registry, operator
from zicht.registry.settings import Settings

KEY = bytes(range(32))


@pytest.fixture(scope="module")
def simulation(tmp_path_factory):
    out = tmp_path_factory.mktemp("sim")
    result = CliRunner().invoke(app, ["simulate", "--years", "2024", "--victims", "400",
                                      "--seed", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_a_simulation_is_pseudonymised_by_the_registry_function(simulation):
    rep = load_reports(simulation, Pseudonymiser(KEY))
    clear = pd.read_parquet(simulation / "reports.parquet")
    assert rep.source == "simulation"
    assert not set(CLEAR_COLUMNS) & set(rep.frame.columns)
    assert set(TOKEN_FIELDS) <= set(rep.frame.columns)
    assert len(rep.frame) == len(clear) and list(rep.frame.report_id) == list(clear.report_id)
    # the same person's reports share their birth-date token where both dates are present
    merged = rep.frame.merge(rep.truth, on="report_id")
    same = merged[merged.tok_birth_date != ""].groupby("person_id").tok_birth_date.nunique()
    assert (same == 1).mean() > 0.9
    assert rep.fingerprint == Pseudonymiser(KEY).fingerprint


def test_a_registry_export_is_read_and_its_key_checked(tmp_path, monkeypatch):
    monkeypatch.setenv("ZICHT_PSEUDONYM_KEY", KEY.hex())
    reg = Registry(Settings.from_env(database_url=f"sqlite:///{tmp_path / 'z.db'}"))
    reg.upgrade()
    op = operator("test")
    reg.add_organisation(op, "NGO", "NGO", "NGO")
    reg.submit(op, [{"organisation": "NGO", "received_date": "2025-01-02", "sex": "F",
                     "given_name": "Ana", "surname": "Lopes", "birth_date": "1999-02-03"}])
    path = reg.export(op, tmp_path / "out")
    reg.dispose()
    rep = load_reports(tmp_path / "out", Pseudonymiser(KEY))
    assert rep.source == "export" and len(rep.frame) == 1
    assert rep.frame.tok_surname.iloc[0] == Pseudonymiser(KEY).token("surname", "lopes")
    with pytest.raises(LinkageInputError, match="another pseudonymisation key"):
        load_reports(path, Pseudonymiser(b"\x07" * 32))
    with pytest.raises(LinkageInputError, match="expected"):
        load_reports(path, expect_fingerprint="0" * 16)


def _write(path, frame, meta=None):
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(table.replace_schema_metadata(meta) if meta else table, path)
    return path


@pytest.mark.parametrize("case, message", [
    ("no_fingerprint", "not a zicht registry export"),
    ("missing_tokens", "missing column"),
    ("empty", "no reports"),
    ("not_parquet", "not a readable Parquet file"),
    ("nothing", "no such file"),
])
def test_bad_input_is_refused_in_one_line(tmp_path, case, message):
    meta = {b"zicht.scheme": b"zicht/v1", b"zicht.key_fingerprint": b"0123456789abcdef"}
    full = pd.DataFrame({"report_id": ["R1"], **{t: ["x"] for t in TOKEN_FIELDS}})
    path = tmp_path / "reports.parquet"
    if case == "no_fingerprint":
        _write(path, full)
    elif case == "missing_tokens":
        _write(path, full.drop(columns=["tok_surname", "bf_given"]), meta)
    elif case == "empty":
        _write(path, full.iloc[:0], meta)
    elif case == "not_parquet":
        path.write_text("report_id\nR1\n")
    else:
        path = tmp_path / "absent"
    with pytest.raises(LinkageInputError, match=message) as exc:
        load_reports(path)
    assert "\n" not in str(exc.value)
    if case == "missing_tokens":
        assert "tok_surname" in str(exc.value) and "bf_given" in str(exc.value)


def test_a_simulation_folder_carries_its_lists_in_the_manifest(tmp_path, caplog):
    """Linkage learns a simulation's lists from its manifest, not from the scenario file: a
    scenario that exists nowhere any more (here: made in memory) still gives its lists.  An
    older folder, whose manifest has no lists, falls back to the scenario it names, or to the
    default lists (None) with a warning; a broken manifest is refused in one line."""
    import json

    from zicht.linkage.inputs import scenario_lists
    from zicht.simulate.reports import write_run
    from zicht.simulate.scenario import load_scenario

    lists = {"POLICE": ["POL", "KMAR"], "CARE": ["ZC", "OPV", "JZ"], "REST": [
        "NGO", "NLA", "GEM", "IMM", "ZORG", "SELF", "CAR", "OTH"]}
    scenario = load_scenario("nl-baseline", {"name": "moved-away", "victims_per_year": 150,
                                             "mse_lists": lists})
    sim = tmp_path / "sim"
    write_run(scenario, [2024], 5, sim, formats=("parquet",))
    manifest = json.loads((sim / "manifest.json").read_text())
    assert manifest["mse_lists"] == lists
    rep = load_reports(sim, Pseudonymiser(KEY))
    assert rep.lists == {name: tuple(cats) for name, cats in lists.items()}

    del manifest["mse_lists"]  # as written before the manifest carried the lists
    (sim / "manifest.json").write_text(json.dumps(manifest))
    with caplog.at_level("WARNING", logger="zicht.linkage.inputs"):
        assert scenario_lists(sim) is None  # "moved-away" is no shipped scenario
    assert "default lists" in caplog.text
    manifest["scenario"] = "nl-baseline"
    (sim / "manifest.json").write_text(json.dumps(manifest))
    assert scenario_lists(sim) == load_scenario("nl-baseline").mse_lists

    for broken in ("{not json", "[1, 2]", json.dumps({**manifest, "mse_lists": ["POL"]})):
        (sim / "manifest.json").write_text(broken)
        with pytest.raises(LinkageInputError, match="manifest") as exc:
            load_reports(sim, Pseudonymiser(KEY))
        assert "\n" not in str(exc.value)
