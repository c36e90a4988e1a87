"""An independent generator of synthetic reports with known truth, for testing record linkage.

It is written apart from zicht's own simulator on purpose: it neither imports nor copies
``zicht.simulate``, and draws its names, its population and its noise from other sources and
other processes, so that linkage is not only ever tested on data shaped by the same hands that
shaped the linkage model.  ``generate(n_reports, seed)`` returns the reports in the registry's
import format (``zicht.registry.tables.FORMAT_COLUMNS``; deliberately *without*
``age_at_report`` and ``age_band``), the truth (report -> person) and the persons behind them.

Population
    Persons come from eleven naming cultures (Dutch, Romanian, Polish, Hungarian, Vietnamese,
    Spanish, English, Nigerian, Portuguese, French, Turkish; weights in ``Config.cultures``).
    Names come from Faker's locale data (the name lists themselves; sampling is numpy's) plus
    curated lists of the most common surnames, ranked, and are drawn with Zipf-like weights so
    that common names (Nguyen, de Jong, Jansen, Popescu, Nowak, Garcia, Smith, Yilmaz ...) recur
    among different persons.  Vietnamese surnames follow their real, very skewed shares
    (Nguyen about 38 %).  Dutch surnames carry prefixes (van, de, van der, ter ...) in
    ``surname_prefix``; Spanish and Portuguese persons mostly have two surnames; some persons
    have two given names (Vietnamese: a middle name such as Thi or Van).  A share of persons
    takes the full name of another person (namesakes), another share another person's birth
    date; some carry the placeholder birth date 1 January.  Nationality follows the culture
    mostly (some Dutch-named persons have another nationality, and vice versa).  Ages at the
    first report are 14-60, skewed young.  Exploitation forms, sector and place follow culture
    and sex.

Reports
    Each person has 1-8 reports (Poisson with a gamma-distributed visibility: most have one,
    a few many), at dates chained by short (same case) or long gaps inside the given years,
    from reporter categories drawn with person-level preferences (labour cases go to the
    labour inspectorate, minors to youth care, Caribbean cases to Caribbean partners ...);
    sometimes the same organisation reports a person twice.  The total is exactly
    ``n_reports``.  Rows are ordered by received date.

Noise (per report, rates in ``Config``)
    typos in given name and surname (keyboard-neighbour substitution, insertion, deletion,
    transposition, doubled letters, spelling by ear, OCR confusions such as rn/m);
    diacritics dropped or transliterated (Stefan for Ștefan, Oezdemir for Özdemir); upper case;
    Dutch prefix dropped or merged into the surname; given name and surname swapped (more
    often for Hungarians, who put the family name first); only the first of two given names;
    one of two surnames; Vietnamese name-order variants; birth date missing, year only,
    day and month swapped, year off by one, another day; sex unknown; nationality missing,
    "UNK" or written as alpha-2 or an English name; place of exploitation moved or missing;
    forms differing; sector missing.

Everything is reproducible from ``numpy.random.default_rng(seed)``: Faker serves only as the
source of name lists (read once, cached), never as a random generator.
"""

from __future__ import annotations

import calendar
import datetime as dt
import importlib
import json
import random
import unicodedata
from dataclasses import asdict, dataclass, field, replace
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from zicht.codes import NATIONALITY_CODES
from zicht.registry.tables import FORMAT_COLUMNS

# -- the cultures ------------------------------------------------------------------------------
# weight, Faker locale (None: curated lists only), share female, nationalities, forms
CULTURES: dict[str, tuple[float, str | None, float, dict[str, float], dict[str, float]]] = {
    "dutch": (0.28, "nl_NL", 0.70, {"NLD": .90, "BEL": .03, "SUR": .03, "DEU": .02, "MAR": .02},
              {"SEX": .62, "LAB": .10, "CRIM": .25, "UNK": .03}),
    "romanian": (0.11, "ro_RO", 0.60, {"ROU": .89, "MDA": .07, "NLD": .04},
                 {"SEX": .45, "LAB": .35, "CRIM": .17, "UNK": .03}),
    "polish": (0.08, "pl_PL", 0.40, {"POL": .95, "NLD": .05},
               {"LAB": .75, "SEX": .15, "CRIM": .07, "UNK": .03}),
    "hungarian": (0.06, "hu_HU", 0.65, {"HUN": .85, "ROU": .08, "SVK": .05, "NLD": .02},
                  {"SEX": .60, "LAB": .30, "CRIM": .07, "UNK": .03}),
    "vietnamese": (0.05, "vi_VN", 0.45, {"VNM": .93, "NLD": .05, "CZE": .02},
                   {"CRIM": .45, "LAB": .30, "SEX": .22, "UNK": .03}),
    "spanish": (0.07, "es_ES", 0.75, {"ESP": .25, "COL": .20, "VEN": .15, "DOM": .15, "MEX": .06,
                                      "PER": .05, "ARG": .05, "NLD": .05, "ABW": .04},
                {"SEX": .60, "LAB": .32, "CRIM": .05, "UNK": .03}),
    "english": (0.06, "en_GB", 0.60, {"GBR": .55, "IRL": .10, "USA": .05, "NLD": .10,
                                      "UGA": .10, "GHA": .10},
                {"SEX": .45, "LAB": .30, "CRIM": .20, "UNK": .05}),
    "nigerian": (0.05, None, 0.80, {"NGA": .85, "ITA": .05, "NLD": .05, "GHA": .05},
                 {"SEX": .70, "LAB": .20, "CRIM": .07, "UNK": .03}),
    "portuguese": (0.05, "pt_PT", 0.65, {"BRA": .60, "PRT": .30, "CPV": .05, "NLD": .05},
                   {"SEX": .55, "LAB": .40, "UNK": .05}),
    "french": (0.05, "fr_FR", 0.60, {"FRA": .35, "BEL": .20, "GIN": .15, "CMR": .10, "MAR": .10,
                                     "NLD": .10},
               {"SEX": .45, "LAB": .35, "CRIM": .15, "UNK": .05}),
    "turkish": (0.06, "tr_TR", 0.50, {"TUR": .60, "NLD": .35, "BGR": .05},
                {"LAB": .40, "SEX": .35, "CRIM": .22, "UNK": .03}),
}  # fmt: skip

# the most common surnames, in rank order (put ahead of Faker's lists)
HEADS = {
    "dutch": "de Jong, Jansen, de Vries, van den Berg, van Dijk, Bakker, Janssen, Visser, Smit, "
             "Meijer, de Boer, Mulder, de Groot, Bos, Vos, Peters, Hendriks, van Leeuwen, Dekker, "
             "Brouwer, de Wit, Dijkstra, Smits, de Graaf, van der Meer, van der Linden, Kok, "
             "Jacobs, de Haan, Vermeulen, van den Heuvel, van der Veen, van den Broek, de Bruijn, "
             "van der Heijden, Schouten, van Beek, Willems, van Vliet, van de Ven, Hoekstra, Maas, "
             "Verhoeven, Koster, van Dam, van der Wal, Prins, Blom, Huisman, ter Horst, ten Have, "
             "van 't Hof, in 't Veld",
    "romanian": "Popescu, Popa, Pop, Radu, Dumitru, Stan, Stoica, Gheorghe, Matei, Ciobanu, "
                "Ionescu, Rusu, Munteanu, Constantin, Mihai, Lazăr, Florea, Dinu, Moldovan, Ene, "
                "Barbu, Marin, Tudor, Șerban, Ilie, Cristea, Toma, Nistor, Ursu, Sandu, Dobre, "
                "Stănescu, Petrescu, Vasile, Oprea, Diaconu, Neagu, Vlad, Anghel, Lungu, "
                "Dragomir, Ion, Zamfir, Nedelcu, Badea, Lupu, Bălan, Mocanu, Costache, Manea, "
                "Grigore, Constantinescu, Georgescu, Marinescu, Dumitrescu, Preda, Iordache, "
                "Niculescu, Avram, Bogdan, Cojocaru, Coman, Chiriac, Enache, Gavrilă, Ghiță, "
                "Mircea, Nica, Olteanu, Paraschiv, Păun, Rădulescu, Roman, Sârbu, Tănase, Voicu, "
                "Zaharia, Crăciun, Stoian, Năstase, Mureșan, Bucur, Sima, Lăcătuș, Căldăraru",
    "polish": "Nowak, Kowalski, Wiśniewski, Wójcik, Kowalczyk, Kamiński, Lewandowski, Zieliński, "
              "Szymański, Woźniak, Dąbrowski, Kozłowski, Jankowski, Mazur, Wojciechowski, "
              "Kwiatkowski, Krawczyk, Kaczmarek, Piotrowski, Grabowski",
    "vietnamese": "Nguyễn, Trần, Lê, Phạm, Hoàng, Huỳnh, Phan, Vũ, Võ, Đặng, Bùi, Đỗ, Hồ, Ngô, "
                  "Dương, Lý",
    "spanish": "García, Rodríguez, González, Fernández, López, Martínez, Sánchez, Pérez, Gómez, "
               "Martín, Jiménez, Ruiz, Hernández, Díaz, Moreno, Muñoz, Álvarez, Romero, Alonso, "
               "Gutiérrez",
    "english": "Smith, Jones, Williams, Taylor, Brown, Davies, Evans, Wilson, Thomas, Johnson, "
               "Roberts, Robinson, Thompson, Wright, Walker, White, Edwards, Hughes, Green, Hall",
    "nigerian": "Okafor, Osagie, Igbinedion, Omoregie, Okonkwo, Eze, Adeyemi, Ibrahim, Musa, "
                "Osaghae, Ehigiator, Aigbe, Iyamu, Edosomwan, Obaseki, Idahosa, Omorodion, "
                "Uwaifo, Ogbebor, Osayande, Aimiuwu, Okoro, Ogbonna, Chukwu, Nwosu, Obi, "
                "Adebayo, Ogunleye, Oladipo, Balogun, Bello, Abubakar, Uzor, Onyeka, Akpan, Etim, "
                "Bassey, Effiong, Okon, Johnson, Williams, Peters, Lawson, Martins",
    "portuguese": "Silva, Santos, Ferreira, Pereira, Oliveira, Costa, Rodrigues, Martins, Jesus, "
                  "Sousa, Fernandes, Gonçalves, Gomes, Lopes, Marques, Alves, Almeida, Ribeiro, "
                  "Pinto, Carvalho, Teixeira, Moreira, Correia, Mendes, Nunes, Soares, Vieira, "
                  "Monteiro, Cardoso, Rocha, Lima, Nascimento, Barros, Araújo, Cunha",
    "turkish": "Yılmaz, Kaya, Demir, Şahin, Çelik, Yıldız, Yıldırım, Öztürk, Aydın, Özdemir, "
               "Arslan, Doğan, Kılıç, Aslan, Çetin, Kara, Koç, Kurt, Özkan, Şimşek",
}
NIGERIAN_GIVEN = (
    "Blessing Joy Precious Favour Gift Mercy Peace Faith Success Happiness Patience Esther Grace "
    "Osas Esohe Ivie Efe Ese Amaka Chioma Ngozi Adaeze Funmilayo Aisha Fatima Princess Rita "
    "Juliet Vivian Stella Loveth Goodness Comfort Victoria Sandra Gloria Evelyn Queen Osariemen",
    "Osagie Osaro Emeka Chinedu Tunde Segun Ibrahim Musa Samuel Daniel Emmanuel Godwin Friday "
    "Sunday Lucky Kingsley Prince Uche Ikenna Efosa Nosa Ehis Joseph Peter John Michael David "
    "Paul Victor Osaze",
)
TURKISH_ROOTS = ("Ak Kara Öz Demir Kaya Yıldız Er Gül Tan Şen Ay Uz Çakır Bal Koca Al Bay Can Gök "
                 "Kılıç Taş Toprak Sarı Ünal Bozkurt").split()
TURKISH_ENDS = "soy oğlu türk kaya taş er can gün han dağ el alp men ok yürek".split()
VIET_MIDDLE = {"F": "Thị", "M": "Văn"}

# reporter categories with their base weight and number of organisations
CATEGORIES = {"POL": (.30, 11), "ZC": (.22, 12), "NGO": (.14, 8), "NLA": (.06, 3),
              "KMAR": (.06, 4), "GEM": (.04, 20), "OPV": (.04, 10), "JZ": (.02, 6),
              "IMM": (.04, 3), "ZORG": (.02, 5), "ADV": (.02, 10), "SELF": (.015, 1),
              "OM": (.01, 4), "CAR": (.005, 6), "OTH": (.01, 3)}
OBLIGED = ("POL", "KMAR", "NLA")
MSE_MAIN = ("POL", "KMAR", "NLA", "ZC", "NGO")
SECTORS = {
    "SEX": ("window prostitution", "club prostitution", "escort", "home prostitution",
            "online prostitution", "street prostitution"),
    "LAB": ("agriculture", "food processing", "construction", "hospitality", "cleaning",
            "transport", "domestic work", "shipping", "retail", "distribution centre"),
    "CRIM": ("drug production", "drug trade", "property crime", "fraud", "forced begging"),
}
MUNICIPALITIES = {  # CBS code: weight
    "GM0363": 20, "GM0599": 14, "GM0518": 10, "GM0344": 6, "GM0772": 4, "GM0014": 3,
    "GM0855": 3, "GM0034": 3, "GM0758": 3, "GM0268": 3, "GM0202": 3, "GM0392": 3, "GM0153": 2,
    "GM0193": 2, "GM0983": 2, "GM1783": 3, "GM0935": 2, "GM0546": 2, "GM0505": 2, "GM0796": 2,
    "GM0200": 2, "GM0307": 2, "GM0479": 2, "GM0917": 1, "GM0114": 1, "GM0289": 1, "GM0637": 1,
}
ABROAD = ("BEL", "DEU", "FRA", "ESP", "GBR", "ROU", "POL", "BGR", "ITA")
CARIBBEAN = ("BQ-BO", "CUW", "ABW", "SXM", "BQ-SE", "BQ-SA")
COLUMNS = tuple(c for c in FORMAT_COLUMNS if c in (
    "source_ref", "report_id", "organisation", "reporter_category", "received_date",
    "reference_year", "channel", "legal_basis", "consent_registration", "given_name",
    "surname_prefix", "surname", "birth_date", "birth_year", "sex", "nationality",
    "exploitation_forms", "sector", "nr_group", "place_of_exploitation"))
assert "age_at_report" not in COLUMNS and "age_band" not in COLUMNS


@dataclass(frozen=True)
class Config:
    """Population and noise parameters; every field is a keyword of :func:`generate`."""

    # population
    culture_weights: dict[str, float] = field(
        default_factory=lambda: {k: v[0] for k, v in CULTURES.items()})
    extra_reports_rate: float = 0.45  # Poisson rate of further reports at visibility 1
    visibility_shape: float = 0.5  # gamma shape of the person-level visibility (mean 1)
    max_reports: int = 8
    category_heterogeneity: float = 1.0  # gamma shape of person-level category preferences
    same_organisation: float = 0.12  # a later report from the person's first organisation
    short_gap: float = 0.45  # share of gaps between reports that are short (same case)
    surname_zipf: tuple[float, float] = (1.0, 20.0)  # weight (rank + q) ** -s: (s, q)
    given_zipf: tuple[float, float] = (1.0, 10.0)
    two_given_names: float = 0.20
    double_surname: float = 0.75  # Spanish and Portuguese persons with two surnames
    namesakes: float = 0.01  # persons taking the full name of another person
    shared_birth_date: float = 0.005  # persons taking the birth date of another person
    placeholder_birth_date: float = 0.02  # born "1 January" on their papers
    # noise, per report
    given_typo: float = 0.06
    surname_typo: float = 0.06
    asciify: float = 0.30  # of names with non-ASCII letters
    upper_case: float = 0.03
    prefix_noise: float = 0.20  # of reports of persons with a Dutch prefix
    swap_names: float = 0.04  # (three times as often for Hungarians)
    first_given_only: float = 0.30  # of persons with two given names
    one_surname_only: float = 0.30  # of persons with two surnames
    vietnamese_variant: float = 0.30  # of Vietnamese persons
    birth_missing: float = 0.25
    birth_year_only: float = 0.08
    day_month_swap: float = 0.03  # of reports with a birth date (only where valid)
    year_off: float = 0.03
    other_day: float = 0.02
    sex_unknown: float = 0.05
    nationality_missing: float = 0.10  # a fifth of them written "UNK"
    nationality_variant: float = 0.05  # alpha-2 or English name instead of alpha-3
    place_moved: float = 0.15
    place_missing: float = 0.20
    forms_differ: float = 0.10
    sector_missing: float = 0.30


# overrides that switch every per-report noise off (names, dates, attributes)
NO_NOISE = {f: 0.0 for f in (
    "given_typo", "surname_typo", "asciify", "upper_case", "prefix_noise", "swap_names",
    "first_given_only", "one_surname_only", "vietnamese_variant", "birth_missing",
    "birth_year_only", "day_month_swap", "year_off", "other_day", "sex_unknown",
    "nationality_missing", "nationality_variant", "place_moved", "place_missing",
    "forms_differ", "sector_missing")}


@dataclass
class Generated:
    reports: pd.DataFrame  # import format, all text, "" for missing
    truth: pd.DataFrame  # report_id, source_ref, person_id
    persons: pd.DataFrame  # person_id and the true (canonical) attributes
    config: Config
    seed: int
    years: tuple[int, ...]

    @property
    def mse_lists(self) -> dict[str, list[str]]:
        used = set(self.reports["reporter_category"])
        return {**{c: [c] for c in MSE_MAIN},
                "OTHER": [c for c in CATEGORIES if c not in MSE_MAIN and c in used]}

    def write_simulation_folder(self, folder: str | Path) -> Path:
        """reports.csv, truth_reports.csv and manifest.json: a folder `zicht link` reads."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.reports.to_csv(folder / "reports.csv", index=False)
        self.truth[["report_id", "person_id"]].to_csv(folder / "truth_reports.csv", index=False)
        config = {k: v for k, v in asdict(self.config).items()}
        manifest = {"generator": "independent", "seed": self.seed,
                    "n_reports": len(self.reports), "years": list(self.years),
                    "mse_lists": self.mse_lists, "config": config}
        (folder / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        return folder

    def write_import_csv(self, path: str | Path) -> Path:
        """The reports as a CSV for `zicht import`: without report_id (the import reads it as
        source_ref, and both together are refused) and without truth."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.reports.drop(columns=["report_id"]).to_csv(path, index=False)
        return path


# -- name pools --------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Pool:
    given: dict[str, tuple[str, ...]]  # sex F/M -> names
    surnames: tuple[tuple[str, str], ...]  # (prefix, surname), head first
    head: int  # how many surnames are ranked (the rest is shuffled per seed)
    shares: tuple[float, ...] | None = None  # fixed shares of the head (Vietnamese)


def _split(items: str) -> list[str]:
    return [s.strip() for s in items.split(",") if s.strip()]


def _faker_person(locale: str):
    return importlib.import_module(f"faker.providers.person.{locale}").Provider


def _dutch_surname(name: str) -> tuple[str, str] | None:
    words = name.split()
    if "," in name or any(not w.isalpha() and w not in ("'t",) for w in words):
        return None
    prefix = [w for w in words[:-1] if w in ("van", "de", "der", "den", "het", "'t", "ter",
                                             "ten", "in", "op", "uit", "te")]
    if len(prefix) != len(words) - 1 or not words[-1][0].isupper():
        return None
    return " ".join(prefix), words[-1]


@cache
def _pools() -> dict[str, _Pool]:
    pools = {}
    for culture, (_w, locale, *_rest) in CULTURES.items():
        prov = _faker_person(locale) if locale else None
        head = _split(HEADS.get(culture, ""))
        if culture == "hungarian":
            head = list(prov.last_names)  # Faker's list is in order of frequency
        elif culture == "french":
            head = list(prov.last_names)[:40]
        tail: list[str] = []
        if culture == "polish":
            tail = list(prov.male_last_names) + list(prov.unisex_last_names)
        elif culture == "turkish":
            tail = list(prov.last_names) + [
                r + e for r in TURKISH_ROOTS for e in TURKISH_ENDS if r.lower() != e]
        elif prov is not None and culture != "vietnamese":
            tail = list(prov.last_names)
        seen: set[tuple[str, str]] = set()
        surnames: list[tuple[str, str]] = []
        n_head = 0
        for i, name in enumerate(head + tail):
            parsed = _dutch_surname(name) if culture == "dutch" else ("", name)
            if parsed is not None and parsed not in seen and parsed[1]:
                seen.add(parsed)
                surnames.append(parsed)
            if i == len(head) - 1:
                n_head = len(surnames)
        if culture == "nigerian":
            given = {"F": tuple(NIGERIAN_GIVEN[0].split()), "M": tuple(NIGERIAN_GIVEN[1].split())}
        elif culture == "vietnamese":
            given = {"F": tuple(dict.fromkeys(prov.first_names_female + prov.first_names_unisex)),
                     "M": tuple(dict.fromkeys(prov.first_names_male + prov.first_names_unisex))}
        else:
            given = {s: tuple(dict.fromkeys(n for n in getattr(prov, f"first_names_{x}")
                                            if n.replace("-", "").isalpha()))
                     for s, x in (("F", "female"), ("M", "male"))}
        shares = None
        if culture == "vietnamese":
            shares = (.38, .11, .095, .071, .051, .051, .045, .039, .039, .021, .02, .014,
                      .013, .013, .01, .005)
        pools[culture] = _Pool(given, tuple(surnames), n_head, shares)
    return pools


def _zipf(n: int, s: float, q: float) -> np.ndarray:
    w = (np.arange(n) + 1 + q) ** -s
    return w / w.sum()


def _surname_weights(pool: _Pool, s: float, q: float) -> np.ndarray:
    if pool.shares is not None:
        w = np.asarray(pool.shares, float)
        return w / w.sum()
    return _zipf(len(pool.surnames), s, q)


# -- string noise --------------------------------------------------------------------------------
_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
NEIGHBOURS = {}
for _r, _row in enumerate(_ROWS):
    for _i, _c in enumerate(_row):
        _near = [_row[j] for j in (_i - 1, _i + 1) if 0 <= j < len(_row)]
        for _o in (_r - 1, _r + 1):
            if 0 <= _o < 3:
                _near += [_ROWS[_o][j] for j in (_i - 1, _i) if 0 <= j < len(_ROWS[_o])]
        NEIGHBOURS[_c] = "".join(_near)
OCR = (("rn", "m"), ("m", "rn"), ("cl", "d"), ("d", "cl"), ("li", "h"), ("w", "vv"),
       ("vv", "w"), ("u", "ii"), ("e", "c"), ("c", "e"), ("n", "ri"), ("h", "b"), ("l", "i"))
BY_EAR = (("ij", "y"), ("y", "ij"), ("ei", "ij"), ("ph", "f"), ("c", "k"), ("k", "c"),
          ("w", "v"), ("v", "w"), ("sz", "s"), ("sch", "sh"), ("ou", "oe"), ("ck", "k"),
          ("th", "t"), ("dt", "t"), ("ie", "i"), ("ee", "e"), ("escu", "esku"), ("ch", "g"),
          ("z", "s"), ("s", "z"), ("ng", "n"), ("j", "y"), ("gu", "g"), ("qu", "k"))
SPECIAL = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "ß": "ss", "đ": "d", "Đ": "D",
                         "ı": "i", "İ": "I"})
GERMANIC = str.maketrans({"ö": "oe", "ü": "ue", "ä": "ae", "Ö": "Oe", "Ü": "Ue", "Ä": "Ae",
                          "ő": "oe", "ű": "ue"})
CEDILLA = str.maketrans({"ș": "ş", "ț": "ţ", "Ș": "Ş", "Ț": "Ţ"})  # the old, wrong code points


def _case_like(new: str, old: str) -> str:
    return new.upper() if old.isupper() else new


def typo(name: str, r: random.Random) -> str:
    """One spelling error in ``name`` (never empty, always different where possible)."""
    if len(name) < 2:
        return name + r.choice("aeinrs")
    for _ in range(6):
        op = r.choices(("kb", "del", "ins", "swap", "double", "ear", "ocr"),
                       (25, 15, 12, 15, 10, 13, 10))[0]
        i = r.randrange(len(name))
        c = name[i]
        low = name.lower()
        if op == "kb" and c.lower() in NEIGHBOURS:
            out = name[:i] + _case_like(r.choice(NEIGHBOURS[c.lower()]), c) + name[i + 1:]
        elif op == "del" and len(name) > 2:
            out = name[:i] + name[i + 1:]
        elif op == "ins":
            near = NEIGHBOURS.get(c.lower(), "aeiou")
            out = name[:i + 1] + r.choice(near + c.lower()) + name[i + 1:]
        elif op == "swap" and i < len(name) - 1 and name[i] != name[i + 1] and name[i + 1] != " ":
            out = name[:i] + name[i + 1] + name[i] + name[i + 2:]
        elif op == "double":
            j = next((k for k in range(len(name) - 1) if low[k] == low[k + 1]), None)
            out = name[:j] + name[j + 1:] if j is not None else name[:i + 1] + c + name[i + 1:]
        elif op in ("ear", "ocr"):
            pairs = [(a, b) for a, b in (BY_EAR if op == "ear" else OCR) if a in low[1:]]
            if not pairs:
                continue
            a, b = r.choice(pairs)
            k = low.index(a, 1)
            out = name[:k] + b + name[k + len(a):]
        else:
            continue
        if out != name and out.strip():
            return out
    return name


def asciify(name: str, r: random.Random) -> str:
    """Diacritics dropped (most), transliterated the German way (ö -> oe) or, for Romanian,
    written with the cedilla letters instead of the comma-below ones."""
    u = r.random()
    if u < 0.15 and name != name.translate(CEDILLA):
        return name.translate(CEDILLA)
    if u < 0.35 and name != name.translate(GERMANIC):
        name = name.translate(GERMANIC)
    text = unicodedata.normalize("NFKD", name.translate(SPECIAL))
    return unicodedata.normalize("NFC", "".join(c for c in text if not unicodedata.combining(c)))


# -- the generator -------------------------------------------------------------------------------
def generate(n_reports: int, seed: int = 0, years: tuple[int, ...] = (2021, 2022, 2023, 2024),
             **overrides) -> Generated:
    """``n_reports`` reports (exactly) of persons drawn as the module's text says."""
    if n_reports < 1:
        raise ValueError("n_reports must be at least 1")
    cfg = replace(Config(), **overrides)
    rng = np.random.default_rng(seed)
    r = random.Random(int(rng.integers(2**62)))
    persons, per_person = _persons(n_reports, cfg, rng)
    reports, person_of = _reports(persons, per_person, cfg, rng, tuple(sorted(set(years))))
    _names(reports, persons, person_of, cfg, rng, r)
    _birth(reports, persons, person_of, cfg, rng)
    _attributes(reports, persons, person_of, cfg, rng)
    # order by received date, then number the reports
    order = np.lexsort((rng.random(n_reports), reports["_received"]))
    frame = pd.DataFrame({c: np.asarray(reports[c], dtype=object)[order] for c in COLUMNS
                          if c in reports})
    width = max(6, len(str(n_reports)))
    numbers = np.arange(1, n_reports + 1)
    frame.insert(0, "report_id", [f"X{i:0{width + 2}d}" for i in numbers])
    frame.insert(0, "source_ref", [f"IND-{i:0{width}d}" for i in numbers])
    frame = frame[list(COLUMNS)]
    truth = pd.DataFrame({"report_id": frame["report_id"], "source_ref": frame["source_ref"],
                          "person_id": persons["person_id"][person_of[order]]})
    return Generated(frame, truth, pd.DataFrame(persons), cfg, seed, tuple(years))


def _draw(rng, weights: dict, size: int) -> np.ndarray:
    keys = list(weights)
    p = np.asarray([weights[k] for k in keys], float)
    return np.asarray(keys, dtype=object)[rng.choice(len(keys), size=size, p=p / p.sum())]


def _persons(n_reports: int, cfg: Config, rng) -> tuple[dict, np.ndarray]:
    counts = np.empty(0, int)
    while counts.sum() < n_reports:  # persons until the reports are enough
        m = int(n_reports / (1 + cfg.extra_reports_rate) * 1.1) + 10
        vis = rng.gamma(cfg.visibility_shape, 1 / cfg.visibility_shape, m)
        k = 1 + np.minimum(rng.poisson(cfg.extra_reports_rate * vis), cfg.max_reports - 1)
        counts = np.concatenate([counts, k])
    total = np.cumsum(counts)
    m = int(np.searchsorted(total, n_reports)) + 1
    counts = counts[:m].copy()
    counts[-1] -= total[m - 1] - n_reports
    pools = _pools()
    culture = _draw(rng, cfg.culture_weights, m)
    p_female = np.asarray([CULTURES[c][2] for c in culture])
    u = rng.random(m)
    sex = np.where(u < p_female, "F", "M").astype(object)
    sex[rng.random(m) < 0.003] = "X"
    given1 = np.empty(m, object)
    given2 = np.full(m, "", object)
    prefix = np.full(m, "", object)
    sur1 = np.empty(m, object)
    sur2 = np.full(m, "", object)
    two = rng.random(m) < cfg.two_given_names
    double = rng.random(m) < cfg.double_surname
    for c, pool in pools.items():
        sel = culture == c
        # the tail of each list in an order of this seed; the head stays ranked
        surnames = pool.surnames[:pool.head] + tuple(
            pool.surnames[pool.head:][i] for i in rng.permutation(len(pool.surnames) - pool.head))
        w = _surname_weights(_Pool(pool.given, surnames, pool.head, pool.shares),
                             *cfg.surname_zipf)
        idx = np.flatnonzero(sel)
        picks = rng.choice(len(surnames), size=(len(idx), 2), p=w)
        prefix[idx] = [surnames[i][0] for i in picks[:, 0]]
        sur1[idx] = [surnames[i][1] for i in picks[:, 0]]
        if c in ("spanish", "portuguese"):
            ok = double[idx] & (picks[:, 1] != picks[:, 0])
            sur2[idx[ok]] = [surnames[i][1] for i in picks[ok, 1]]
        if c == "polish":  # Kowalski -> Kowalska
            for i in idx[sex[idx] == "F"]:
                for male, female in (("ski", "ska"), ("cki", "cka"), ("dzki", "dzka")):
                    if sur1[i].endswith(male):
                        sur1[i] = sur1[i][:-len(male)] + female
                        break
        for s in ("F", "M", "X"):
            names = pool.given["F" if s == "F" or (s == "X" and c == "dutch") else "M"]
            names = tuple(names[i] for i in rng.permutation(len(names)))
            sub = idx[sex[idx] == s]
            picks = rng.choice(len(names), size=(len(sub), 2), p=_zipf(len(names),
                                                                        *cfg.given_zipf))
            given1[sub] = [names[i] for i in picks[:, 0]]
            if c == "vietnamese":  # a middle name, always
                mid = rng.random(len(sub)) < 0.6
                given2[sub] = [VIET_MIDDLE.get(s, "Văn") if m_ else names[j]
                               for m_, j in zip(mid, picks[:, 1], strict=True)]
            else:
                ok = two[sub] & (picks[:, 1] != picks[:, 0])
                given2[sub[ok]] = [names[i] for i in picks[ok, 1]]
    # namesakes: a share of persons takes another person's full name (same culture and sex)
    takers = np.flatnonzero(rng.random(m) < cfg.namesakes)
    donors = rng.integers(0, m, len(takers))
    for arr in (culture, sex, given1, given2, prefix, sur1, sur2):
        arr[takers] = arr[donors]
    sep = np.where((culture == "french") & (rng.random(m) < 0.5), "-", " ")
    nationality = np.empty(m, object)
    forms = np.empty(m, object)
    for c, (_w, _l, _f, nats, frm) in CULTURES.items():
        idx = np.flatnonzero(culture == c)
        nationality[idx] = _draw(rng, nats, len(idx))
        for s in ("F", "M", "X"):
            sub = idx[sex[idx] == s]
            adj = {k: v * (0.3 if s == "M" and k == "SEX" else 1) for k, v in frm.items()}
            forms[sub] = _draw(rng, adj, len(sub))
    extra = rng.random(m) < 0.07  # a second form
    second = _draw(rng, {"SEX": 1, "LAB": 1, "CRIM": 1}, m)
    both = extra & (forms != "UNK") & (second != forms)
    forms[both] = forms[both] + ";" + second[both]
    forms[rng.random(m) < 0.01] = "MIX"
    forms[rng.random(m) < 0.002] = "ORG"
    # place of exploitation: mostly a Dutch municipality
    u = rng.random(m)
    dutch_sex = (nationality == "NLD") | np.char.startswith(forms.astype(str), "SEX")
    place = _draw(rng, MUNICIPALITIES, m)
    abroad = u > np.where(dutch_sex, 0.92, 0.82)
    home = rng.random(m) < 0.5
    place[abroad] = np.where(home[abroad] & (nationality[abroad] != "NLD"), nationality[abroad],
                             _draw(rng, dict.fromkeys(ABROAD, 1), int(abroad.sum())))
    carib = (u > 0.975) | (nationality == "ABW") & (rng.random(m) < 0.6)
    place[carib] = _draw(rng, {"BQ-BO": 4, "CUW": 4, "ABW": 3, "SXM": 3, "BQ-SE": 1,
                               "BQ-SA": 1}, int(carib.sum()))
    main_form = np.asarray([f.split(";")[0] for f in forms], object)
    sector = np.asarray([SECTORS[f][i % len(SECTORS[f])] if f in SECTORS else ""
                         for f, i in zip(main_form, rng.integers(0, 1000, m), strict=True)],
                        object)
    # age at the first report 14-60, skewed young
    age = 14 + rng.gamma(2.0, 5.5, m)
    old = age >= 61
    age[old] = rng.uniform(14, 61, int(old.sum()))
    persons = {
        "person_id": np.asarray([f"P{i:07d}" for i in range(1, m + 1)], object),
        "culture": culture, "sex": sex, "given1": given1, "given2": given2, "given_sep": sep,
        "surname_prefix": prefix, "surname1": sur1, "surname2": sur2,
        "nationality": nationality, "exploitation_forms": forms, "sector": sector,
        "place_of_exploitation": place, "age_first": age, "n_reports": counts,
    }
    persons["given_name"] = np.asarray([
        (f"{b} {a}" if c == "vietnamese" else f"{a}{s}{b}") if b else a
        for a, b, s, c in zip(given1, given2, sep, culture, strict=True)], object)
    persons["surname"] = np.asarray([f"{a} {b}" if b else a for a, b in zip(sur1, sur2,
                                                                              strict=True)], object)
    return persons, counts


def _active_days(years: tuple[int, ...]) -> np.ndarray:
    last = dt.date.today() - dt.timedelta(days=1)
    days = [np.arange(np.datetime64(f"{y}-01-01"), np.datetime64(f"{y + 1}-01-01"))
            for y in years]
    out = np.concatenate(days)
    out = out[out <= np.datetime64(last)]
    if len(out) == 0:
        raise ValueError(f"no days before today in the years {years}")
    return out


def _reports(persons: dict, counts: np.ndarray, cfg: Config, rng,
             years) -> tuple[dict, np.ndarray]:
    m, n = len(counts), int(counts.sum())
    person_of = np.repeat(np.arange(m), counts)
    start = np.cumsum(counts) - counts
    rank = np.arange(n) - start[person_of]  # 0 for a person's first report
    # dates: a chain of short (same case) and long gaps, fitted inside the active days
    days = _active_days(years)
    t_len = len(days)
    gaps = np.where(rng.random(n) < cfg.short_gap, rng.exponential(20, n),
                    rng.exponential(300, n))
    gaps[rank == 0] = 0
    offset = np.cumsum(gaps)
    offset -= offset[start][person_of]
    span = offset[start + counts - 1]
    # a chain longer than the period is squeezed into a random part of it (not all of it,
    # which would pile those persons' first reports up on the first day)
    room = (t_len - 1) * rng.uniform(0.5, 0.95, m)
    scale = np.where(span > room, room / np.maximum(span, 1), 1.0)
    offset *= scale[person_of]
    span *= scale
    t0 = rng.random(m) * (t_len - 1 - span)
    received = days[np.minimum((t0[person_of] + offset).astype(int), t_len - 1)]
    # categories: base weights, modified by the case, times person-level preferences
    cats = list(CATEGORIES)
    base = np.asarray([CATEGORIES[c][0] for c in cats])
    w = np.tile(base, (m, 1))
    col = {c: i for i, c in enumerate(cats)}
    forms = persons["exploitation_forms"].astype(str)
    nl = persons["nationality"] == "NLD"
    for cond, mods in (
            (np.char.find(forms, "LAB") >= 0, {"NLA": 5, "NGO": 1.5, "POL": 0.6}),
            (np.char.startswith(forms, "SEX"), {"POL": 1.2, "ZC": 1.2, "NLA": 0.2}),
            (np.char.startswith(forms, "CRIM"), {"POL": 1.5, "NLA": 0.5}),
            (~nl, {"KMAR": 2, "IMM": 2.5}), (nl, {"KMAR": 0.3, "IMM": 0.05}),
            (persons["age_first"] < 18, {"JZ": 8}),
            (np.isin(persons["place_of_exploitation"], CARIBBEAN), {"CAR": 200})):
        for c, f in mods.items():
            w[cond, col[c]] *= f
    w *= rng.gamma(cfg.category_heterogeneity, 1, w.shape)
    cum = np.cumsum(w, axis=1)
    u = rng.random(n) * cum[person_of, -1]
    cat_idx = (cum[person_of] < u[:, None]).sum(axis=1).clip(0, len(cats) - 1)
    category = np.asarray(cats, object)[cat_idx]
    number = np.empty(n, int)
    for c, (_b, k) in CATEGORIES.items():
        sel = category == c
        number[sel] = rng.choice(k, int(sel.sum()), p=_zipf(k, 0.8, 1.0)) + 1
    organisation = np.asarray([f"{c}-{i:02d}" for c, i in zip(category, number, strict=True)],
                              object)
    same = (rank > 0) & (rng.random(n) < cfg.same_organisation)
    first = start[person_of]
    category[same] = category[first[same]]
    organisation[same] = organisation[first[same]]
    received_text = np.datetime_as_string(received, unit="D").astype(object)
    obliged = np.isin(category, OBLIGED)
    reports = {
        "organisation": organisation, "reporter_category": category,
        "received_date": received_text,
        "reference_year": np.asarray([s[:4] for s in received_text], object),
        "channel": np.where(obliged & (rng.random(n) < 0.5), "api",
                            np.where(rng.random(n) < 0.4, "bulk", "form")).astype(object),
        "legal_basis": np.where(obliged, "obligation", np.where(rng.random(n) < 0.95, "consent",
                                                                "other")).astype(object),
        "consent_registration": np.where(obliged, "not_required", "yes").astype(object),
        "_received": received,
    }
    return reports, person_of


def _names(rep: dict, persons: dict, p: np.ndarray, cfg: Config, rng, r) -> None:
    n = len(p)
    culture = persons["culture"][p]
    given = persons["given_name"][p].copy()
    prefix = persons["surname_prefix"][p].copy()
    surname = persons["surname"][p].copy()
    g1, g2, s1, s2 = (persons[k][p] for k in ("given1", "given2", "surname1", "surname2"))

    def pick(rate, eligible=True):
        return np.flatnonzero((rng.random(n) < rate) & eligible)

    viet = culture == "vietnamese"
    for i in pick(cfg.first_given_only, (g2 != "") & ~viet):
        given[i] = g1[i]
    for i in pick(cfg.one_surname_only, s2 != ""):
        surname[i] = s1[i] if r.random() < 0.75 else s2[i]
    for i in pick(cfg.prefix_noise, prefix != ""):
        u = r.random()
        if u < 0.5:  # dropped
            prefix[i] = ""
        elif u < 0.75:  # merged: van Dijk -> Vandijk
            surname[i] = (prefix[i].replace(" ", "") + surname[i]).capitalize()
            prefix[i] = ""
        else:  # written into the surname field
            surname[i] = f"{prefix[i]} {surname[i]}"
            prefix[i] = ""
    for i in pick(cfg.vietnamese_variant, viet):
        u = r.random()
        if u < 0.45:  # middle name left out
            given[i] = g1[i]
        elif u < 0.8:  # written in Vietnamese order: family name first
            given[i], surname[i] = surname[i], given[i]
        else:  # middle name taken as part of the family name
            given[i], surname[i] = g1[i], f"{surname[i]} {g2[i]}"
    swap_rate = np.where(culture == "hungarian", 3 * cfg.swap_names, cfg.swap_names)
    for i in np.flatnonzero(rng.random(n) < swap_rate):
        given[i], surname[i] = (f"{prefix[i]} {surname[i]}".strip(), given[i])
        prefix[i] = ""
    for arr, rate in ((given, cfg.given_typo), (surname, cfg.surname_typo)):
        for i in pick(rate):
            arr[i] = typo(arr[i], r)
    for arr in (given, surname):
        nonascii = np.asarray([not s.isascii() for s in arr])
        for i in pick(cfg.asciify, nonascii):
            arr[i] = asciify(arr[i], r)
    for i in pick(cfg.upper_case):
        given[i], prefix[i], surname[i] = given[i].upper(), prefix[i].upper(), surname[i].upper()
    rep.update(given_name=given, surname_prefix=prefix, surname=surname)


def _birth(rep: dict, persons: dict, p: np.ndarray, cfg: Config, rng) -> None:
    m, n = len(persons["person_id"]), len(p)
    # the true birth date: the person's first report date minus the age at it
    first = np.full(m, np.datetime64("2262-01-01"), "datetime64[D]")
    np.minimum.at(first, p, rep["_received"])
    birth = first - np.round(persons["age_first"] * 365.2425).astype(int).astype("timedelta64[D]")
    takers = np.flatnonzero(rng.random(m) < cfg.shared_birth_date)
    birth[takers] = birth[rng.integers(0, m, len(takers))]
    jan = rng.random(m) < cfg.placeholder_birth_date
    birth[jan] = birth[jan].astype("datetime64[Y]").astype("datetime64[D]")
    persons["birth_date"] = np.datetime_as_string(birth, unit="D").astype(object)
    text = persons["birth_date"][p]
    y = np.asarray([int(s[:4]) for s in text])
    mo = np.asarray([int(s[5:7]) for s in text])
    d = np.asarray([int(s[8:]) for s in text])
    u = rng.random(n)
    swap = (u < cfg.day_month_swap) & (d <= 12) & (d != mo)
    mo[swap], d[swap] = d[swap], mo[swap].copy()
    off = (u >= cfg.day_month_swap) & (u < cfg.day_month_swap + cfg.year_off)
    y[off] += np.where(rng.random(int(off.sum())) < 0.5, -1, 1)
    other = (u >= cfg.day_month_swap + cfg.year_off) & (
        u < cfg.day_month_swap + cfg.year_off + cfg.other_day)
    for i in np.flatnonzero(other):
        d[i] = 1 + (d[i] + int(rng.integers(0, 27))) % 28  # another day, valid in any month
    for i in np.flatnonzero(d > 28):  # Feb 29 moved to a year that is not leap
        d[i] = min(d[i], calendar.monthrange(y[i], mo[i])[1])
    v = rng.random(n)
    missing = v < cfg.birth_missing
    year_only = ~missing & (v < cfg.birth_missing + cfg.birth_year_only)
    rep["birth_date"] = np.asarray(
        ["" if missing[i] or year_only[i] else f"{y[i]:04d}-{mo[i]:02d}-{d[i]:02d}"
         for i in range(n)], object)
    rep["birth_year"] = np.where(year_only, y.astype(str), "").astype(object)


def _attributes(rep: dict, persons: dict, p: np.ndarray, cfg: Config, rng) -> None:
    n = len(p)
    sex = persons["sex"][p].copy()
    sex[rng.random(n) < cfg.sex_unknown] = "U"
    nat = persons["nationality"][p].copy()
    variant = np.flatnonzero(rng.random(n) < cfg.nationality_variant)
    for i, j in zip(variant, rng.integers(0, 2, len(variant)), strict=True):
        nat[i] = NATIONALITY_CODES.get(nat[i], (nat[i], nat[i]))[j]
    gone = rng.random(n) < cfg.nationality_missing
    nat[gone] = np.where(rng.random(int(gone.sum())) < 0.2, "UNK", "")
    place = persons["place_of_exploitation"][p].copy()
    moved = np.flatnonzero(rng.random(n) < cfg.place_moved)
    new = _draw(rng, {**MUNICIPALITIES, **dict.fromkeys(ABROAD, 1)}, len(moved))
    place[moved] = np.where(new == place[moved], "GM0363", new)
    place[rng.random(n) < cfg.place_missing] = ""
    forms = persons["exploitation_forms"][p].copy()
    sector = persons["sector"][p].copy()
    differ = np.flatnonzero(rng.random(n) < cfg.forms_differ)
    for i, u, alt in zip(differ, rng.random(len(differ)),
                         _draw(rng, {"SEX": 1, "LAB": 1, "CRIM": 1}, len(differ)), strict=True):
        main = forms[i].split(";")[0]
        if u < 0.4 or alt == main:  # another form (or unknown)
            forms[i] = alt if alt != main else "UNK"
            sector[i] = SECTORS.get(forms[i], ("",))[0] if forms[i] != main else sector[i]
        elif u < 0.7:  # one more form
            forms[i] = ";".join(dict.fromkeys(forms[i].split(";") + [alt]))
        else:
            forms[i], sector[i] = "UNK", ""
    sector[rng.random(n) < cfg.sector_missing] = ""
    main = np.asarray([f.split(";")[0] for f in forms], object)
    nl_nat = np.isin(nat, ("NLD", "NL", "Netherlands"))
    group = np.select([(main == "SEX") & nl_nat, main == "SEX", main == "LAB", main == "CRIM",
                       main == "ORG"], ["domestic_sexual", "cross_border_sexual", "labour",
                                        "criminal", "organ"], "unknown").astype(object)
    rep.update(sex=sex, nationality=nat, place_of_exploitation=place, exploitation_forms=forms,
               sector=sector, nr_group=group)
