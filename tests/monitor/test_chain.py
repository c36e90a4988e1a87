"""Chain figures: validation naming the line and column, versions, tamper check, indicators."""

import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.monitor.test_indicators import ESTIMATES, PERSONS, REPORT_PERSONS, REPORTS, values
from zicht.cli import app
from zicht.monitor.chain import ChainError, ChainStore, read_chain_csv
from zicht.monitor.inputs import MonitorData, MonitorInputError

GOOD = """year,area,measure,value,development_line,source
2023,NL,police_cases_to_om,6,,Politie
2023,NL,prosecutions,3,,OM
2024,NL,prosecutions,2,,OM
2024,NL,convictions,1,,Rechtspraak
2024,CN,prosecutions,1,,OM Caribisch Nederland
2024,NL,fte,14.5,1,Programma
2024,NL,budget_eur,250000,2,Programma
"""


def write(tmp_path, text, name="chain.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_reads_a_valid_file(tmp_path):
    frame = read_chain_csv(write(tmp_path, GOOD))
    assert len(frame) == 7
    assert frame.loc[frame.measure == "fte", "value"].item() == 14.5
    assert frame.loc[frame.measure == "fte", "development_line"].item() == 1
    assert (frame.loc[frame.measure == "prosecutions", "development_line"] == 0).all()


HEADER = "year,area,measure,value,development_line,source\n"


@pytest.mark.parametrize("row, text", [
    ("20x3,NL,prosecutions,3,,OM", "line 2, column 'year'"),
    ("2023,BE,prosecutions,3,,OM", "column 'area'"),
    ("2023,NL,arrests,3,,OM", "column 'measure'"),
    ("2023,NL,prosecutions,three,,OM", "is not a number"),
    ("2023,NL,prosecutions,-1,,OM", "must be a number >= 0"),
    ("2023,NL,prosecutions,2.5,,OM", "not a whole number"),
    ("2023,NL,fte,2,,Programma", "needs a development line"),
    ("2023,NL,fte,2,7,Programma", "needs a development line"),
    ("2023,NL,prosecutions,2,1,OM", "leave it empty"),
    ("2023,NL,prosecutions,2,,", "column 'source'"),
])
def test_bad_rows_name_line_and_column(tmp_path, row, text):
    with pytest.raises(ChainError, match=text):
        read_chain_csv(write(tmp_path, HEADER + row + "\n"))


def test_file_level_errors(tmp_path):
    with pytest.raises(ChainError, match="missing column"):
        read_chain_csv(write(tmp_path, "year,area,value\n2023,NL,3\n"))
    with pytest.raises(ChainError, match="no rows"):
        read_chain_csv(write(tmp_path, HEADER))
    with pytest.raises(ChainError, match="lines 2 and 3"):
        read_chain_csv(write(tmp_path, HEADER + "2023,NL,prosecutions,3,,OM\n"
                                                "2023,NL,prosecutions,4,,OM\n"))
    with pytest.raises(ChainError, match="no such file"):
        read_chain_csv(tmp_path / "none.csv")


def test_versions(tmp_path):
    store = ChainStore(tmp_path / "store")
    v1 = store.import_csv(write(tmp_path, GOOD))
    assert v1.version == 1 and v1.rows == 7 and v1.years == (2023, 2024)
    # the same figures in another order: no new version
    lines = GOOD.splitlines()
    again = store.import_csv(write(tmp_path, "\n".join([lines[0], *reversed(lines[1:])]) + "\n",
                                   "again.csv"))
    assert again == v1 and len(store.versions()) == 1
    v2 = store.import_csv(write(tmp_path, GOOD.replace("convictions,1", "convictions,2"),
                                "revised.csv"))
    assert v2.version == 2 and v2.source_file == "revised.csv"
    assert store.load()[0] == v2
    old, frame = store.load(1)
    assert frame.loc[frame.measure == "convictions", "value"].item() == 1
    with pytest.raises(ChainError, match="no version 3"):
        store.load(3)


def test_an_invalid_file_stores_nothing(tmp_path):
    store = ChainStore(tmp_path / "store")
    with pytest.raises(ChainError):
        store.import_csv(write(tmp_path, GOOD + "2024,NL,arrests,1,,x\n"))
    assert store.versions() == [] and not (tmp_path / "store").exists()


def test_a_changed_version_file_is_detected(tmp_path):
    store = ChainStore(tmp_path / "store")
    store.import_csv(write(tmp_path, GOOD))
    file = tmp_path / "store" / "chain_v1.csv"
    file.write_text(file.read_text().replace("250000", "350000"))
    with pytest.raises(ChainError, match="does not match its recorded hash"):
        store.load()


def test_chain_indicators(tmp_path):
    ChainStore(tmp_path / "s").import_csv(write(tmp_path, GOOD))
    _, chain = ChainStore(tmp_path / "s").load()
    data = MonitorData(REPORTS, PERSONS, REPORT_PERSONS, chain=chain)
    assert values(data, "police_cases_to_om") == {(2023,): 6}
    # registered in the European Netherlands: 2023 P1-P3 (3), 2024 P1, P3, P4 (3; P5 is BES)
    assert values(data, "prosecutions_per_registered") == {(2023,): 1.0, (2024,): 2 / 3}
    assert values(data, "convictions_per_registered") == {(2024,): 1 / 3}
    without = MonitorData(REPORTS, PERSONS, REPORT_PERSONS)
    with pytest.raises(MonitorInputError, match="chain figures"):
        values(without, "police_cases_to_om")


def test_command_line(tmp_path):
    runner = CliRunner()
    path = write(tmp_path, GOOD)
    first = runner.invoke(app, ["monitor", "chain", str(path), "--store", str(tmp_path / "s")])
    assert first.exit_code == 0 and "stored as version 1" in first.output
    again = runner.invoke(app, ["monitor", "chain", str(path), "--store", str(tmp_path / "s")])
    assert again.exit_code == 0 and "already stored as version 1" in again.output
    bad = runner.invoke(app, ["monitor", "chain", str(write(tmp_path, HEADER + "x", "b.csv")),
                              "--store", str(tmp_path / "s")])
    assert bad.exit_code == 2 and "line 2" in bad.output
    assert pd.read_csv(tmp_path / "s" / "chain_v1.csv").shape[0] == 7


def test_the_publication_shows_capacity_and_budget_per_line(tmp_path):
    """DOMAIN 6.12: FTE and budget per development line and year, beside the targets."""
    from zicht.monitor.publish import build_publication

    ChainStore(tmp_path / "s").import_csv(write(tmp_path, GOOD))
    _, chain = ChainStore(tmp_path / "s").load()
    data = MonitorData(REPORTS, PERSONS, REPORT_PERSONS, ESTIMATES, chain=chain)
    doc = build_publication(data, tmp_path / "pub.json", k=2, compare_methods=False,
                            today=2025)
    programme = {p["line"]: p for p in doc["public"]["programme"]}
    assert set(programme) == {1, 2}
    assert programme[1]["years"] == {"2024": {"fte": 14.5, "budget_eur": None}}
    assert programme[2]["years"] == {"2024": {"fte": None, "budget_eur": 250000.0}}
    assert programme[1]["line_nl"].startswith("basisaanpak")  # named as in targets.yaml
    without = build_publication(MonitorData(REPORTS, PERSONS, REPORT_PERSONS, ESTIMATES),
                                tmp_path / "pub2.json", k=2, compare_methods=False, today=2025)
    assert without["public"]["programme"] == []

