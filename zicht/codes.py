"""Code lists of the domain (docs/DOMAIN.md section 5), shared by every stage.

Each list maps a code to its Dutch and English label.  They are domain facts, not a stage's
internals: the simulator draws from them, the registry validates against them, the monitor
labels its tables with them.
"""

from __future__ import annotations

REPORTER_CATEGORIES = {
    "POL": ("politie", "police"),
    "KMAR": ("Koninklijke Marechaussee", "Royal Marechaussee (border police)"),
    "NLA": ("Nederlandse Arbeidsinspectie", "Netherlands Labour Authority"),
    "ZC": ("zorgcoördinator", "care coordinator"),
    "OPV": ("opvang", "shelter"),
    "JZ": ("jeugdzorg", "youth care"),
    "GEM": ("gemeente", "municipality"),
    "NGO": ("maatschappelijke organisatie", "NGO"),
    "ADV": ("advocaat", "lawyer"),
    "IMM": ("IND, COA of DT&V", "immigration (IND, COA, DT&V)"),
    "ZORG": ("zorg", "healthcare"),
    "OM": ("Openbaar Ministerie", "public prosecution"),
    "SELF": ("slachtoffer zelf", "self-report"),
    "CAR": ("Caribische partner", "Caribbean partner"),
    "OTH": ("overig", "other"),
    "UNK": ("onbekend", "unknown"),
}
OBLIGED = ("POL", "KMAR", "NLA")
FORMS = {
    "SEX": ("seksuele uitbuiting", "sexual exploitation"),
    "LAB": ("arbeidsuitbuiting", "labour exploitation"),
    "CRIM": ("criminele uitbuiting", "criminal exploitation"),
    "ORG": ("orgaanverwijdering", "organ removal"),
    "MIX": ("meerdere vormen", "several forms"),
    "UNK": ("onbekend", "unknown"),
}
# How a victim was controlled and who recruited them (issue 21, modus operandi).  The codes are
# those of the CTDC codebook (Counter Trafficking Data Collaborative, IOM and Polaris'
# harmonised schema), so data can be shared: ``zicht export --format ctdc`` writes each as the
# codebook's column (CTDC_MEANS / CTDC_RECRUITER).  Several means can apply (codes joined by ";").
MEANS_OF_CONTROL = {
    "debt_bondage": ("schuldslavernij", "debt bondage"),
    "takes_earnings": ("inhouden van verdiensten", "takes earnings"),
    "restricts_finances": ("beperkt toegang tot geld", "restricts financial access"),
    "threats": ("bedreiging", "threats"),
    "psychological_abuse": ("psychisch geweld", "psychological abuse"),
    "physical_abuse": ("fysiek geweld", "physical abuse"),
    "sexual_abuse": ("seksueel geweld", "sexual abuse"),
    "false_promises": ("valse beloften", "false promises"),
    "psychoactive_substances": ("drugs of alcohol", "psychoactive substances"),
    "restricts_movement": ("beperkt bewegingsvrijheid", "restricts movement"),
    "restricts_medical_care": ("onthoudt medische zorg", "restricts medical care"),
    "excessive_working_hours": ("excessieve werktijden", "excessive working hours"),
    "uses_children": ("gebruikt kinderen", "uses children"),
    "threat_of_law_enforcement": ("dreigen met politie of uitzetting",
                                  "threat of law enforcement"),
    "withholds_necessities": ("onthoudt eerste levensbehoeften", "withholds necessities"),
    "withholds_documents": ("inhouden van documenten", "withholds documents"),
    "other": ("anders", "other"),
}
CTDC_MEANS = {
    "debt_bondage": "meansOfControlDebtBondage",
    "takes_earnings": "meansOfControlTakesEarnings",
    "restricts_finances": "meansOfControlRestrictsFinancialAccess",
    "threats": "meansOfControlThreats",
    "psychological_abuse": "meansOfControlPsychologicalAbuse",
    "physical_abuse": "meansOfControlPhysicalAbuse",
    "sexual_abuse": "meansOfControlSexualAbuse",
    "false_promises": "meansOfControlFalsePromises",
    "psychoactive_substances": "meansOfControlPsychoactiveSubstances",
    "restricts_movement": "meansOfControlRestrictsMovement",
    "restricts_medical_care": "meansOfControlRestrictsMedicalCare",
    "excessive_working_hours": "meansOfControlExcessiveWorkingHours",
    "uses_children": "meansOfControlUsesChildren",
    "threat_of_law_enforcement": "meansOfControlThreatOfLawEnforcement",
    "withholds_necessities": "meansOfControlWithholdsNecessities",
    "withholds_documents": "meansOfControlWithholdsDocuments",
    "other": "meansOfControlOther",
}
CTDC_MEANS_NOT_SPECIFIED = "meansOfControlNotSpecified"
RECRUITER_RELATIONS = {
    "intimate_partner": ("(ex-)partner", "intimate partner"),
    "family": ("familie", "family"),
    "friend": ("vriend of kennis", "friend or acquaintance"),
    "employer": ("werkgever", "employer"),
    "other": ("anders", "other"),
    "unknown": ("onbekend", "unknown"),
}
# CTDC has no employer column: an employer counts as "other" there
CTDC_RECRUITER = {"intimate_partner": "recruiterRelationIntimatePartner",
                  "family": "recruiterRelationFamily", "friend": "recruiterRelationFriend",
                  "employer": "recruiterRelationOther", "other": "recruiterRelationOther",
                  "unknown": "recruiterRelationUnknown"}
SEXES = {"F": ("vrouw", "female"), "M": ("man", "male"), "X": ("x", "x"),
         "U": ("onbekend", "unknown")}
AGE_BAND_LIMITS = ((0, 11, "0-11"), (12, 17, "12-17"), (18, 22, "18-22"), (23, 29, "23-29"),
                   (30, 39, "30-39"), (40, 49, "40-49"), (50, 200, "50+"))
AGE_BANDS = (*(label for _, _, label in AGE_BAND_LIMITS), "unknown")
NR_GROUPS = {
    "domestic_sexual": ("binnenlandse seksuele uitbuiting", "domestic sexual exploitation"),
    "cross_border_sexual": ("grensoverschrijdende seksuele uitbuiting",
                            "cross-border sexual exploitation"),
    "labour": ("arbeidsuitbuiting", "labour exploitation"),
    "criminal": ("criminele uitbuiting", "criminal exploitation"),
    "organ": ("orgaanverwijdering", "organ removal"),
    "unknown": ("onbekend", "unknown"),
}
# the regions (region_of_place) of the Caribbean part of the Kingdom
CARIBBEAN_REGIONS = ("BES", "ABW", "CUW", "SXM")
CARIBBEAN_PLACES = {"BQ-BO": "Bonaire", "BQ-SE": "Sint Eustatius", "BQ-SA": "Saba",
                    "ABW": "Aruba", "CUW": "Curaçao", "SXM": "Sint Maarten"}

# Other ways forms write a nationality: alpha-2, the English name, the Dutch adjective
NATIONALITY_CODES = {
    "NLD": ("NL", "Netherlands", "Nederlandse"), "POL": ("PL", "Poland", "Poolse"),
    "NGA": ("NG", "Nigeria", "Nigeriaanse"), "ROU": ("RO", "Romania", "Roemeense"),
    "BGR": ("BG", "Bulgaria", "Bulgaarse"), "HUN": ("HU", "Hungary", "Hongaarse"),
    "UKR": ("UA", "Ukraine", "Oekraïense"), "VNM": ("VN", "Viet Nam", "Vietnamese"),
    "CHN": ("CN", "China", "Chinese"), "GBR": ("GB", "United Kingdom", "Britse"),
    "DEU": ("DE", "Germany", "Duitse"), "FRA": ("FR", "France", "Franse"),
    "ESP": ("ES", "Spain", "Spaanse"), "TUR": ("TR", "Türkiye", "Turkse"),
    "BRA": ("BR", "Brazil", "Braziliaanse"), "RUS": ("RU", "Russian Federation", "Russische"),
    "IDN": ("ID", "Indonesia", "Indonesische"), "THA": ("TH", "Thailand", "Thaise"),
    "MAR": ("MA", "Morocco", "Marokkaanse"), "ERI": ("ER", "Eritrea", "Eritrese"),
    "SYR": ("SY", "Syrian Arab Republic", "Syrische"), "AFG": ("AF", "Afghanistan", "Afghaanse"),
    "BEL": ("BE", "Belgium", "Belgische"), "SUR": ("SR", "Suriname", "Surinaamse"),
    "LTU": ("LT", "Lithuania", "Litouwse"), "SVK": ("SK", "Slovakia", "Slowaakse"),
    "CZE": ("CZ", "Czechia", "Tsjechische"), "UGA": ("UG", "Uganda", "Oegandese"),
    "GHA": ("GH", "Ghana", "Ghanese"), "SLE": ("SL", "Sierra Leone", "Sierra Leoonse"),
    "GIN": ("GN", "Guinea", "Guinese"), "PHL": ("PH", "Philippines", "Filipijnse"),
    "IND": ("IN", "India", "Indiase"), "MDA": ("MD", "Moldova", "Moldavische"),
    "ALB": ("AL", "Albania", "Albanese"), "CHE": ("CH", "Switzerland", "Zwitserse"),
}  # fmt: skip

# European Union member states (alpha-3), for the nationality groups of docs/DOMAIN.md section 6
EU_MEMBERS = frozenset((
    "AUT", "BEL", "BGR", "HRV", "CYP", "CZE", "DNK", "EST", "FIN", "FRA", "DEU", "GRC", "HUN",
    "IRL", "ITA", "LVA", "LTU", "LUX", "MLT", "NLD", "POL", "PRT", "ROU", "SVK", "SVN", "ESP",
    "SWE",
))
NATIONALITY_GROUPS = {"dutch": ("Nederlands", "Dutch"),
                      "eu": ("EU (niet-Nederlands)", "EU (non-Dutch)"),
                      "non_eu": ("buiten de EU", "non-EU"), "unknown": ("onbekend", "unknown")}
REGIONS = {"NL": ("Europees Nederland", "European Netherlands"),
           "BES": ("Caribisch Nederland", "Caribbean Netherlands"),
           "ABW": ("Aruba", "Aruba"), "CUW": ("Curaçao", "Curaçao"),
           "SXM": ("Sint Maarten", "Sint Maarten"), "ABROAD": ("buitenland", "abroad"),
           "unknown": ("onbekend", "unknown")}


def nationality_group(alpha3: str | None) -> str:
    """dutch, eu, non_eu or unknown for an alpha-3 nationality."""
    code = alpha3.upper() if isinstance(alpha3, str) else ""
    if len(code) != 3 or code in ("UNK", "STATELESS"):
        return "non_eu" if code == "STATELESS" else "unknown"
    return "dutch" if code == "NLD" else "eu" if code in EU_MEMBERS else "non_eu"


def region_of_place(place: str | None) -> str:
    """Region of a place of exploitation: NL for a CBS municipality code, BES for Bonaire,
    Sint Eustatius and Saba, ABW/CUW/SXM, ABROAD for another country, unknown when empty."""
    code = place.upper() if isinstance(place, str) else ""
    if not code:
        return "unknown"
    if code.startswith("GM"):
        return "NL"
    if code.startswith("BQ-"):
        return "BES"
    if code in ("ABW", "CUW", "SXM"):
        return code
    return "NL" if code == "NLD" else "ABROAD"
