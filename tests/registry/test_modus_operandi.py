"""``means_of_control`` and ``recruiter_relation`` (issue 21, modus operandi): CTDC's codes,
several means per report, through every way in (API, form, file import with Dutch column names)
and out (listing, export), refused by the field's name when a value is not a code, and added to
an existing database by migration 0006."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest
from sqlalchemy import create_engine, inspect

from zicht import codes
from zicht.registry import migrate
from zicht.registry.service import ValidationFailed

from .conftest import report


def test_several_means_are_stored_once_each_in_code_order_given(world):
    reg = world.registry
    every = ";".join(codes.MEANS_OF_CONTROL)  # all 17: wider than the 120 of other columns
    out = reg.submit(world.actor("rep_a"), [
        report(source_ref="MO-1", means_of_control=" Threats ; debt_bondage;threats",
               recruiter_relation="Intimate_Partner"),
        report(source_ref="MO-2", given_name="Eva", means_of_control=every,
               recruiter_relation="employer")])
    ids = [r["id"] for r in out.reports]
    stored = {r["id"]: (r["means_of_control"], r["recruiter_relation"])
              for r in reg.list_reports(world.actor("rep_a")).items}
    assert stored[ids[0]] == ("threats;debt_bondage", "intimate_partner")
    assert stored[ids[1]] == (every, "employer")


@pytest.mark.parametrize(("field", "value", "label"), [
    ("means_of_control", "threats;voodoo", "dwangmiddelen"),
    ("recruiter_relation", "buurman", "relatie tot ronselaar"),
])
def test_a_value_that_is_not_a_code_is_refused_naming_the_field(world, field, value, label):
    with pytest.raises(ValidationFailed) as exc:
        world.registry.submit(world.actor("rep_a"), [report(**{field: value})], lang="nl")
    error = exc.value.errors[0][1]
    assert error.field == field and label in error.message
    assert value.split(";")[-1] in error.message
    assert "threats;" not in error.message  # only the wrong code is named


def test_dutch_column_names_import_them_and_the_export_carries_them(world, tmp_path):
    body = (b"kenmerk,datum melding,geslacht,voornaam,achternaam,geboortedatum,nationaliteit,"
            b"Dwangmiddelen,Relatie ronselaar\n"
            b"IMP-1,2025-02-03,F,Ana,Smit,1990-01-02,NLD,withholds_documents;threats,family\n")
    reg = world.registry
    assert reg.import_file(world.actor("rep_a"), body, "meldingen.csv", lang="nl")["created"] \
        == 1
    frame = pq.read_table(reg.export(world.actor("analyst"), tmp_path)).to_pandas()
    row = frame.loc[frame["source_ref"] == "IMP-1"]
    assert row["means_of_control"].tolist() == ["withholds_documents;threats"]
    assert row["recruiter_relation"].tolist() == ["family"]


def test_every_code_maps_to_a_ctdc_column():
    assert set(codes.CTDC_MEANS) == set(codes.MEANS_OF_CONTROL)
    assert set(codes.CTDC_RECRUITER) == set(codes.RECRUITER_RELATIONS)
    assert all(c.startswith("meansOfControl") for c in codes.CTDC_MEANS.values())
    assert len(set(codes.CTDC_MEANS.values())) == len(codes.CTDC_MEANS)


def test_migration_0006_adds_the_columns(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")

    def columns() -> set[str]:
        return {c["name"] for c in inspect(engine).get_columns("reports")}

    migrate.upgrade(engine, "0005")
    assert "referred_to_care" in columns() and "means_of_control" not in columns()
    migrate.upgrade(engine)
    assert {"means_of_control", "recruiter_relation"} <= columns()
    migrate.downgrade(engine, "0005")
    assert "means_of_control" not in columns() and "recruiter_relation" not in columns()
