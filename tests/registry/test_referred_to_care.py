"""``referred_to_care`` (issue 21): the referral to care beside the reflection period and
shelter, through every way in (API, file import with a Dutch column name, the form's options)
and out (listing, export), refused with the field's name when the value is not a code, and
added to an existing database by migration 0005."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest
from sqlalchemy import create_engine, inspect

from zicht.registry import migrate
from zicht.registry.service import ValidationFailed

from .conftest import report


def test_the_registry_stores_and_lists_it(world):
    reg = world.registry
    out = reg.submit(world.actor("rep_a"), [report(source_ref="RC-1", referred_to_care="YES"),
                                            report(source_ref="RC-2", given_name="Eva",
                                                   referred_to_care="no")])
    ids = [r["id"] for r in out.reports]
    stored = {r["id"]: r["referred_to_care"] for r in
              reg.list_reports(world.actor("rep_a")).items}
    assert [stored[i] for i in ids] == ["yes", "no"]  # a code in any case is stored lower


def test_a_value_that_is_not_a_code_is_refused_naming_the_field(world):
    with pytest.raises(ValidationFailed) as exc:
        world.registry.submit(world.actor("rep_a"), [report(referred_to_care="misschien")],
                              lang="nl")
    error = exc.value.errors[0][1]
    assert error.field == "referred_to_care"
    assert "doorverwezen naar zorg" in error.message and "misschien" in error.message


def test_a_dutch_column_name_imports_it_and_the_export_carries_it(world, tmp_path):
    body = (b"kenmerk,datum melding,geslacht,voornaam,achternaam,geboortedatum,nationaliteit,"
            b"Doorverwezen naar zorg\n"
            b"IMP-1,2025-02-03,F,Ana,Smit,1990-01-02,NLD,yes\n")
    reg = world.registry
    assert reg.import_file(world.actor("rep_a"), body, "meldingen.csv", lang="nl")["created"] \
        == 1
    frame = pq.read_table(reg.export(world.actor("analyst"), tmp_path)).to_pandas()
    assert frame.loc[frame["source_ref"] == "IMP-1", "referred_to_care"].tolist() == ["yes"]


def test_migration_0005_adds_the_column(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")

    def columns() -> set[str]:
        return {c["name"] for c in inspect(engine).get_columns("reports")}

    migrate.upgrade(engine, "0004")
    assert "shelter_placed" in columns() and "referred_to_care" not in columns()
    migrate.upgrade(engine)
    assert "referred_to_care" in columns()
    migrate.downgrade(engine, "0004")
    assert "referred_to_care" not in columns()
