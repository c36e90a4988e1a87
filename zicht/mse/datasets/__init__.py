"""Published capture-recapture tables, shipped with the package (as lifelines ships its data).

``load_dataset("uk5")`` returns a :class:`~zicht.mse.data.CaptureHistories`; ``list_datasets()``
a table of what is here with sources.  The files are the R packages' data (SparseMSE,
MultipleSystemsEstimation, Rcapture, dga, LCMCR) exported to one CSV format, row order kept; see
``data/README.md`` beside this file.  Cite the original publication when you use a dataset.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from typing import TYPE_CHECKING

import pandas as pd

from ..data import CaptureHistories
from ..errors import MSEInputError

if TYPE_CHECKING:
    from ..frequency import CaptureFrequencies


@dataclass(frozen=True)
class Dataset:
    name: str
    file: str
    description: str
    citation: str
    kind: str = "lists"  # "lists" (capture histories) or "frequency" (nbcap, count)
    occasions: float | None = None  # frequency data: the number of capture occasions t


_SILVERMAN_2020 = "Silverman (2020) JRSS A 183(3) 691-736"
_CSV_2021 = "Chan, Silverman & Vincent (2021) JASA 116:1297"
_ALL = [
    Dataset("uk", "SparseMSE__UKdat.csv",
            "UK 2013 potential victims of trafficking, 6 lists (LA, NG, PF, GO, GP, NCA)",
            "Silverman (2014), Modern slavery: an application of multiple systems estimation, "
            "Home Office"),
    Dataset("uk5", "SparseMSE__UKdat_5.csv",
            "UK 2013, 5 lists (PF and NCA merged): the published 11,313 (10,000-13,000)",
            "Silverman (2014), Home Office"),
    Dataset("netherlands", "SparseMSE__Ned.csv",
            "Netherlands presumed trafficking victims, 6 registration sources (I, K, O, P, R, Z)",
            f"{_SILVERMAN_2020}; Dutch National Rapporteur / UNODC"),
    Dataset("netherlands5", "SparseMSE__Ned_5.csv",
            "Netherlands, 5 lists (I and O merged)", f"{_SILVERMAN_2020}"),
    Dataset("new_orleans", "SparseMSE__NewOrl.csv",
            "Greater New Orleans trafficking victims, 8 lists (SparseMSE version, n = 185)",
            "Bales, Murphy & Silverman (2020) J. Human Trafficking 6(4) 375-384"),
    Dataset("new_orleans5", "SparseMSE__NewOrl_5.csv",
            "New Orleans, 5 lists (four smallest merged)", "Bales, Murphy & Silverman (2020)"),
    Dataset("new_orleans_mse", "MultipleSystemsEstimation__NewOrl.csv",
            "New Orleans as MultipleSystemsEstimation ships it (C+D only = 2, n = 186)",
            "Bales, Murphy & Silverman (2020)"),
    Dataset("new_orleans5_mse", "MultipleSystemsEstimation__NewOrl_5.csv",
            "New Orleans 5 lists, MultipleSystemsEstimation version (n = 186)",
            "Bales, Murphy & Silverman (2020)"),
    Dataset("western", "SparseMSE__Western.csv",
            "Sex trafficking victims at a U.S. 'Western site', 5 lists",
            "Farrell et al. (2019) NIJ report 2015-VF-GX-0105"),
    Dataset("artificial3", "SparseMSE__Artificial_3.csv",
            "Artificial 3-list example: non-identifiable and non-existent MLEs",
            f"{_CSV_2021}, Table 2"),
    Dataset("kosovo", "MultipleSystemsEstimation__Kosovo.csv",
            "Killings in Kosovo, 20 March-22 June 1999, 4 lists (EXH, ABA, OSCE, HRW)",
            "Ball et al. (2002), AAAS report to the ICTY"),
    Dataset("kosovo_lcmcr", "LCMCR__kosovo_aggregate.csv",
            "Kosovo as LCMCR ships it (same counts, other row order)", "Ball et al. (2002)"),
    Dataset("korea", "MultipleSystemsEstimation__Korea.csv",
            "Korean women held in sexual slavery, Palembang, 3 lists",
            "Ball, Shin & Yang (2018), HRDAG technical report"),
    Dataset("hiv", "Rcapture__HIV.csv", "HIV reporting centres in Rome, 4 lists",
            "Abeni, Brancato & Perucci (1994) Epidemiology 5, 410-414"),
    Dataset("lesbian", "Rcapture__lesbian.csv", "Lesbian population of Allegheny County, 4 lists",
            "Aaron et al. (2003) J. Epidemiol. Community Health 57, 207-209"),
    Dataset("duck", "Rcapture__duck.csv", "Eider ducks, 6 years", "Coulson (1984); Cormack (1989)"),
    Dataset("bunting", "Rcapture__bunting.csv", "Lazuli buntings, 8 years",
            "Burnham et al. (1987); Cormack (1993)"),
    Dataset("hare", "Rcapture__hare.csv", "Snowshoe hares, 6 occasions",
            "Cormack (1989); Agresti (1994)"),
    Dataset("mvole", "Rcapture__mvole.csv", "Meadow voles, robust design 6 x 5",
            "Williams, Nichols & Conroy (2002) Table 19.1"),
    Dataset("rbvole", "Rcapture__rbvole.csv", "Red-back voles, robust design 6 x 3",
            "Rivest & Daigle (2004)"),
    Dataset("madigan_york3", "dga__madigan_york_3list.csv", "Madigan & York 3-list example",
            "Madigan & York (1997) Biometrika 84, 19-31"),
    Dataset("madigan_york5", "dga__madigan_york_5list.csv", "Madigan & York 5-list example",
            "Madigan & York (1997) Biometrika 84, 19-31"),
    Dataset("bbs2001", "Rcapture__BBS2001.csv", "Breeding Bird Survey 2001 (frequencies, t = 50)",
            "Dorazio & Royle (2003)", kind="frequency", occasions=50),
    Dataset("cbird", "Rcapture__cbird.csv", "Catbird site occupancy (frequencies, t = 11)",
            "Royle (2006)", kind="frequency", occasions=11),
    Dataset("ill", "Rcapture__ill.csv",
            "Illegal immigrants apprehended i times, four Dutch cities 1995 (frequencies)",
            "van der Heijden et al. (2003)", kind="frequency", occasions=float("inf")),
]
DATASETS = {d.name: d for d in _ALL}
_BY_FILE = {d.file: d for d in _ALL}


def path(name: str) -> Traversable:
    """Filesystem path of a shipped dataset (by short name or file name)."""
    d = _lookup(name)
    return resources.files(__package__).joinpath("data", d.file)


def _lookup(name: str) -> Dataset:
    d = DATASETS.get(name) or _BY_FILE.get(name) or _BY_FILE.get(f"{name}.csv")
    if d is None:
        raise MSEInputError(f"no dataset named {name!r} (try: {', '.join(DATASETS)})")
    return d


def load_dataset(name: str) -> CaptureHistories:
    """A shipped capture-history table, e.g. ``load_dataset("uk5")``."""
    d = _lookup(name)
    if d.kind != "lists":
        raise MSEInputError(f"{d.name} is frequency-of-capture data; use load_frequencies()")
    with path(name).open() as fh:
        return CaptureHistories.from_csv(fh)


def load_frequencies(name: str) -> pd.DataFrame:
    """A shipped frequency-of-capture table (columns ``nbcap``, ``count``)."""
    with path(name).open() as fh:
        return pd.read_csv(fh)


def load_capture_frequencies(name: str) -> CaptureFrequencies:
    """A shipped frequency-of-capture table with its number of occasions, as
    :class:`~zicht.mse.frequency.CaptureFrequencies` (for ``ClosedP0`` and ``compare``)."""
    from ..frequency import CaptureFrequencies

    d = _lookup(name)
    if d.kind != "frequency":
        raise MSEInputError(f"{d.name} holds capture histories; use load_dataset()")
    return CaptureFrequencies.from_frame(load_frequencies(name), d.occasions)


def list_datasets() -> pd.DataFrame:
    rows = []
    for d in _ALL:
        n = None
        if d.kind == "lists":
            t = load_dataset(d.name)
            n, k = t.n_observed, t.k
        else:
            k = None
        rows.append({"name": d.name, "kind": d.kind, "lists": k, "observed": n,
                     "description": d.description, "citation": d.citation, "file": d.file})
    return pd.DataFrame(rows)
