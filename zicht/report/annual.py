"""The annual report: one publication (``zicht monitor publish``) as a document for the public.

``build_report(publication, "jaarrapport.pdf", year=2024, lang="nl")`` renders the report of
``year`` (default: the publication's latest year) and the trend up to it, as HTML (one file, CSS
and charts inline) or as an A4 PDF (WeasyPrint: title page, table of contents, page numbers,
bookmarks).

What it shows and where the numbers come from:

* every count of persons comes from the publication's ``public`` part, which passed disclosure
  control; a suppressed cell is printed as ``x`` with the legend beside the table;
* from the ``analyst`` part only the method comparison (estimates, intervals, verdicts, notes,
  findings, chart) and the estimates by group are taken: estimates of a hidden population are
  not small counts.  A group's estimate is shown only where the public breakdown shows the
  group's count (its interval's lower bound can sit on that count), and the sum of the groups
  only when every group is shown; observed counts by group are never printed.  The rest of
  that part (unprotected breakdowns, overlap, capture histories) is never read;
* charts are the monitor's own builders (:mod:`zicht.monitor.charts`) rendered to inline SVG,
  each with a table or sentence carrying the same numbers;
* indicator definitions come from the publication; what it does not hold (numerator and
  denominator) is read from :data:`zicht.monitor.indicators.INDICATORS` when the installed
  definition has the published version.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

from markupsafe import Markup

from .. import __version__
from ..codes import CARIBBEAN_REGIONS
from ..monitor import charts, labels
from ..monitor.indicators import INDICATORS, format_value

FORMATS = {".html": "html", ".htm": "html", ".pdf": "pdf"}
BREAKDOWNS = ("sex", "age_band", "form", "nationality_group", "region")
KEY_INDICATORS = ("registered_persons", "reports", "reports_per_person", "estimated_victims",
                  "detection_rate", "dark_number", "registered_per_100k", "sdg_16_2_2",
                  "overlap", "minors", "dutch_minors_domestic_sexual", "share_obliged",
                  "complaint_filed", "reflection_period", "shelter_placed", "completeness")
SUPPRESSED, MISSING, INFINITY = "x", "\u2013", "\u221e"
NL_NUMBERS = {"decimal": ",", "thousands": ".", "grouping": [3], "currency": ["\u20ac\u00a0", ""]}
CHART_FONT = "Open Sans"  # report.css's font; `make install` installs it (fonts-open-sans)
UPSET_MAX = 15  # combinations drawn in the UpSet chart (the table lists them all)

MONTHS_NL = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
             "september", "oktober", "november", "december")
DIRECTION = {"at_least": ("minstens", "at least"), "at_most": ("hoogstens", "at most")}
UNITS = {"count": ("aantal", "count"), "share": ("aandeel", "share"),
         "ratio": ("verhouding", "ratio"), "rate": ("per 100.000", "per 100,000")}

TEXT = {
    "title": ("Zicht op mensenhandel", "Sight of human trafficking"),
    "subtitle": ("Jaarrapportage {year}", "Annual report {year}"),
    "tagline": ("Geregistreerde en geschatte slachtoffers van mensenhandel in Nederland en het "
                "Caribisch deel van het Koninkrijk",
                "Registered and estimated victims of human trafficking in the Netherlands and "
                "the Caribbean part of the Kingdom"),
    "language": ("Taal: Nederlands", "Language: English"),
    "built": ("Publicatie van {date}", "Publication of {date}"),
    "data": ("Gegevens {first}\u2013{last}", "Data {first}\u2013{last}"),
    "made_with": ("zicht {version}", "zicht {version}"),
    "rendered_with": ("opgemaakt met zicht {version}", "typeset with zicht {version}"),
    "toc": ("Inhoud", "Contents"),
    "appendix": ("Bijlage", "Appendix"),
    # 1. summary
    "summary": ("Samenvatting", "Summary"),
    "summary_lead": (
        "In {year} meldden organisaties {registered} unieke personen als mogelijk slachtoffer "
        "van mensenhandel. Lang niet alle slachtoffers worden gezien: uit de overlap tussen de "
        "melders wordt geschat dat er in {year} {estimate} slachtoffers waren (95%-interval "
        "{low} tot {high}). Van hen werd dus ongeveer {rate} geregistreerd; het dark number, "
        "de slachtoffers die niemand meldde, wordt geschat op {dark}.",
        "In {year} organisations reported {registered} distinct persons as possible victims of "
        "human trafficking. Far from every victim is seen: from the overlap between the "
        "reporters, the number of victims in {year} is estimated at {estimate} (95% interval "
        "{low} to {high}). About {rate} of them were registered; the dark number, the victims "
        "no one reported, is estimated at {dark}."),
    "summary_no_estimate": (
        "In {year} meldden organisaties {registered} unieke personen als mogelijk slachtoffer "
        "van mensenhandel. Voor {year} bevat de publicatie geen schatting van het totale aantal "
        "slachtoffers.",
        "In {year} organisations reported {registered} distinct persons as possible victims of "
        "human trafficking. The publication holds no estimate of the total number of victims "
        "for {year}."),
    "kf_registered": ("geregistreerde personen", "registered persons"),
    "kf_estimated": ("geschatte slachtoffers", "estimated victims"),
    "kf_interval": ("95%-interval {low}\u2013{high}", "95% interval {low}\u2013{high}"),
    "kf_detection": ("detectiegraad", "detection rate"),
    "kf_dark": ("dark number", "dark number"),
    "kf_dark_note": ("geschat, niet geregistreerd", "estimated, not registered"),
    "kf_detection_note": ("geregistreerd / geschat", "registered / estimated"),
    "kf_registered_note": ("na koppeling van meldingen", "after linking the reports"),
    "key_indicators": ("Kernindicatoren {year}", "Key indicators {year}"),
    "key_intro": ("De belangrijkste indicatoren van {year}, naast die van {previous}. Definities "
                  "en versies staan in bijlage A.",
                  "The main indicators of {year}, beside those of {previous}. Definitions and "
                  "versions are in appendix A."),
    "key_intro_first": ("De belangrijkste indicatoren van {year}, het eerste jaar in de "
                        "publicatie. Definities en versies staan in bijlage A.",
                        "The main indicators of {year}, the first year in the publication. "
                        "Definitions and versions are in appendix A."),
    "key_table": ("Tabel {n}. Kernindicatoren {year}.", "Table {n}. Key indicators {year}."),
    "indicator": ("Indicator", "Indicator"), "change": ("Verandering", "Change"),
    "pp": ("procentpunt", "percentage points"),
    # 2. registered vs estimated
    "overview": ("Geregistreerd en geschat", "Registered and estimated"),
    "overview_intro": (
        "De balken tonen het aantal geregistreerde personen per jaar: mogelijke slachtoffers "
        "die ten minste één organisatie meldde. De punten met lijnen tonen het geschatte "
        "totale aantal slachtoffers met het 95%-interval, berekend met multiple systems "
        "estimation uit de overlap tussen de melders. Het verschil is het dark number.",
        "The bars show the number of registered persons per year: possible victims reported "
        "by at least one organisation. The points with lines show the estimated total number "
        "of victims with its 95% interval, from multiple systems estimation on the overlap "
        "between the reporters. The difference is the dark number."),
    "overview_caption": ("Figuur {n}. Geregistreerde personen (balken) en geschat aantal "
                         "slachtoffers met 95%-interval (punten en lijnen), {first}\u2013{last}.",
                         "Figure {n}. Registered persons (bars) and estimated victims with 95% "
                         "interval (points and lines), {first}\u2013{last}."),
    "overview_table": ("Tabel {n}. Geregistreerd en geschat aantal slachtoffers per jaar.",
                       "Table {n}. Registered and estimated victims per year."),
    "year": ("Jaar", "Year"), "registered": ("Geregistreerd", "Registered"),
    "estimated": ("Geschat", "Estimated"), "interval": ("95%-interval", "95% interval"),
    "detection": ("Detectiegraad", "Detection rate"), "dark": ("Dark number", "Dark number"),
    "combined_note": ("Het interval omvat ook de onzekerheid van de koppeling van meldingen "
                      "aan personen (zie hoofdstuk {chapter}).",
                      "The interval includes the uncertainty of linking reports into persons "
                      "(see chapter {chapter})."),
    # 3. breakdowns
    "breakdowns": ("Uitsplitsingen", "Breakdowns"),
    "breakdowns_intro": (
        "Geregistreerde personen per jaar naar geslacht, leeftijdsgroep, vorm van uitbuiting, "
        "nationaliteit en regio. Een persoon telt één keer per jaar, in de groep van zijn "
        "meest recente melding. Aantallen van minder dan {k} personen zijn geheim, net als "
        "aantallen waaruit zo'n klein aantal zou kunnen worden teruggerekend.",
        "Registered persons per year by sex, age band, form of exploitation, nationality and "
        "region. A person counts once a year, in the group of their latest report. Counts of "
        "fewer than {k} persons are suppressed, and so are counts from which such a small "
        "count could be derived."),
    "breakdown_caption": ("Tabel {n}. Geregistreerde personen naar {name}, {first}\u2013{last}.",
                          "Table {n}. Registered persons by {name}, {first}\u2013{last}."),
    "trend_caption": ("Figuur {n}. Geregistreerde personen naar {name} (geheime aantallen "
                      "ontbreken in de lijnen).",
                      "Figure {n}. Registered persons by {name} (suppressed counts are gaps "
                      "in the lines)."),
    "total": ("Totaal", "Total"), "all_years": ("Totaal {first}\u2013{last}",
                                                "Total {first}\u2013{last}"),
    "legend": ("x = geheim: niet gepubliceerd omdat het om minder dan {k} personen gaat, of om "
               "te voorkomen dat zo'n aantal uit de andere cijfers kan worden teruggerekend.",
               "x = suppressed: not published because it concerns fewer than {k} persons, or "
               "to prevent such a count from being derived from the other figures."),
    "legend_missing": ("\u2013 = niet beschikbaar.", "\u2013 = not available."),
    "withheld": ("Niet gepubliceerd voor {years}: te weinig personen om de aantallen te "
                 "beschermen.", "Not published for {years}: too few persons to protect the "
                 "counts."),
    "caribbean": ("Caribisch deel van het Koninkrijk: kleine aantallen. De aantallen voor "
                  "Caribisch Nederland, Aruba, Curaçao en Sint Maarten zijn vaak geheim of "
                  "berusten op enkele personen; een verandering van jaar op jaar zegt daar "
                  "weinig. Lees trends met voorzichtigheid.",
                  "Caribbean part of the Kingdom: small numbers. The counts for the Caribbean "
                  "Netherlands, Aruba, Curaçao and Sint Maarten are often suppressed or rest "
                  "on a few persons; a change from one year to the next says little there. "
                  "Read trends with care."),
    "caribbean_title": ("Let op", "Note"),
    # 4. overlap
    "overlap": ("Overlap tussen melders", "Overlap between reporters"),
    "overlap_intro": (
        "Personen in {year} naar de combinatie van meldercategorieën die hen meldden. Wie door "
        "meer dan één categorie is gemeld, hoort bij de overlap waarop de schatting rust: hoe "
        "vaker melders elkaars slachtoffers zien, hoe kleiner het geschatte dark number.",
        "Persons in {year} by the combination of reporter categories that reported them. "
        "Persons reported by more than one category are the overlap the estimate rests on: the "
        "more often reporters see each other's victims, the smaller the estimated dark "
        "number."),
    "overlap_share": ("In {year} werd {share} van de geregistreerde personen door twee of meer "
                      "meldercategorieën gemeld.",
                      "In {year}, {share} of the registered persons were reported by two or "
                      "more reporter categories."),
    "overlap_caption": ("Figuur {n}. Personen per combinatie van meldercategorieën, {year} (de "
                        "{shown} grootste gepubliceerde combinaties; de stippen geven aan welke "
                        "categorieën in de combinatie zitten).",
                        "Figure {n}. Persons per combination of reporter categories, {year} (the "
                        "{shown} largest published combinations; the dots mark the categories "
                        "in each combination)."),
    "overlap_table": ("Tabel {n}. Personen per combinatie van meldercategorieën, {year}.",
                      "Table {n}. Persons per combination of reporter categories, {year}."),
    "combination": ("Combinatie", "Combination"), "codes": ("Codes", "Codes"),
    "persons": ("Personen", "Persons"),
    "overlap_withheld": ("De combinaties van {year} zijn niet gepubliceerd: te weinig personen "
                         "om ze te beschermen.",
                         "The combinations of {year} are not published: too few persons to "
                         "protect them."),
    "overlap_other_year": ("De publicatie bevat de combinaties van {other} alleen, niet die van "
                           "{year}.", "The publication holds the combinations of {other} "
                           "only, not those of {year}."),
    "reporter_codes": ("Meldercategorieën: {codes}.", "Reporter categories: {codes}."),
    # 5. the estimate
    "estimate": ("De schatting", "The estimate"),
    "estimate_year": ("Schatting voor {year}", "Estimate for {year}"),
    "estimate_intro": (
        "Het totale aantal slachtoffers is geschat met multiple systems estimation "
        "(capture-recapture): uit hoe vaak dezelfde personen door verschillende melders worden "
        "gezien, volgt hoeveel niemand zag.",
        "The total number of victims is estimated with multiple systems estimation "
        "(capture-recapture): how often the same persons are seen by different reporters tells "
        "how many no one saw."),
    "estimate_method": ("Gebruikte methode: {method}.", "Method used: {method}."),
    "estimate_table": ("Tabel {n}. De schatting voor {year}.", "Table {n}. The estimate for "
                                                                  "{year}."),
    "observed": ("Geregistreerde personen in de schatting", "Registered persons in the "
                                                            "estimate"),
    "point": ("Schatting", "Estimate"),
    "ci_stat": ("95%-interval (statistisch)", "95% interval (statistical)"),
    "band": ("Koppelingsband (schatting over plausibele koppelingen)",
             "Linkage band (estimate over plausible linkages)"),
    "ci_combined": ("95%-interval inclusief koppelingsonzekerheid",
                    "95% interval including linkage uncertainty"),
    "no_estimate": ("Voor {year} bevat de publicatie geen schatting{why}.",
                    "The publication holds no estimate for {year}{why}."),
    "comparison": ("Vergelijking van schattingsmethoden", "Comparison of estimation methods"),
    "comparison_intro": (
        "Alle methoden zijn toegepast op dezelfde tabel van {year} ({observed} personen op "
        "{lists} lijsten: {names}). Het oordeel per methode zegt wat een lezer moet weten "
        "voordat hij het getal gebruikt; de spreiding tussen de methoden laat zien hoeveel de "
        "uitkomst van de modelkeuze afhangt.",
        "Every method was applied to the same table of {year} ({observed} persons on {lists} "
        "lists: {names}). The verdict per method says what a reader must know before using "
        "the number; the spread between the methods shows how much the answer depends on the "
        "choice of model."),
    "comparison_caption": ("Figuur {n}. Schatting en interval per methode (logaritmische "
                           "schaal; de stippellijn is het waargenomen aantal).",
                           "Figure {n}. Estimate and interval per method (log scale; the "
                           "dashed line is the observed number)."),
    "comparison_table": ("Tabel {n}. Schattingsmethoden vergeleken, {year}.",
                         "Table {n}. Estimation methods compared, {year}."),
    "method": ("Methode", "Method"), "model": ("Model", "Model"),
    "verdict": ("Oordeel", "Verdict"), "notes": ("Toelichting", "Notes"),
    "findings": ("Bevindingen", "Findings"),
    "findings_lang": ("De bevindingen en toelichtingen zijn de tekst van de software, in het "
                      "Engels.", ""),
    "no_comparison": ("De publicatie bevat geen vergelijking van schattingsmethoden voor "
                      "{year}.", "The publication holds no comparison of estimation methods "
                      "for {year}."),
    "caveats": ("Kanttekeningen", "Caveats"),
    "strata": ("Schatting per groep", "Estimate by group"),
    "strata_intro": (
        "De stapsgewijze schatting van {year} apart per groep, waar de gegevens het toelaten. "
        "Elke groep krijgt een eigen model, zodat de som van de groepen kan afwijken van de "
        "schatting voor iedereen. Een groep van minder dan {k} personen is geheim (x), en dan "
        "ook de som; \u2013 = geen schatting (te weinig overlap tussen de melders).",
        "The stepwise estimate of {year} separately per group, where the data allow. Each "
        "group gets its own model, so the sum of the groups may differ from the estimate for "
        "everyone. A group of fewer than {k} persons is suppressed (x), and then the sum too; "
        "\u2013 = no estimate (too little overlap between the reporters)."),
    "strata_table": ("Tabel {n}. Geschat aantal slachtoffers in {year} naar {name}.",
                     "Table {n}. Estimated victims in {year} by {name}."),
    "strata_sum": ("som van de groepen", "sum of the groups"),
    "caveat_heterogeneity": (
        "Heterogeniteit. De schatting gaat ervan uit dat slachtoffers ongeveer even goed "
        "zichtbaar zijn voor een melder, of dat de verschillen in het model zitten. Zijn "
        "sommige slachtoffers voor alle melders moeilijk te zien, bijvoorbeeld omdat ze nooit "
        "met een instantie in contact komen, dan is de schatting te laag, en het interval ook.",
        "Heterogeneity. The estimate assumes that victims are about equally visible to a "
        "reporter, or that the model captures the differences. When some victims are hard to "
        "see for every reporter, for instance because they never meet any organisation, the "
        "estimate is too low, and so is its interval."),
    "caveat_dependence": (
        "Samenwerking tussen melders. Organisaties die elkaar slachtoffers doorverwijzen, zien "
        "vaker dezelfde personen. De modellen houden rekening met zulke paren van melders; een "
        "sterkere of andere samenhang dan het model toelaat, vertekent de schatting.",
        "Cooperation between reporters. Organisations that refer victims to each other see "
        "the same persons more often. The models allow for such pairs of reporters; a "
        "stronger or different dependence than the model allows biases the estimate."),
    "caveat_linkage_band": (
        "Koppelingsonzekerheid. Meldingen worden op versleutelde kenmerken aan personen "
        "gekoppeld. Een gemiste koppeling maakt van één persoon twee en verkleint de overlap, "
        "zodat de schatting stijgt; een onterechte koppeling doet het omgekeerde. Het interval "
        "hierboven omvat deze onzekerheid (de koppelingsband {low} tot {high}).",
        "Linkage uncertainty. Reports are linked into persons on encrypted identifiers. A "
        "missed link turns one person into two and shrinks the overlap, so the estimate "
        "rises; a false link does the opposite. The interval above includes this uncertainty "
        "(the linkage band {low} to {high})."),
    "caveat_linkage_none": (
        "Koppelingsonzekerheid. Meldingen worden op versleutelde kenmerken aan personen "
        "gekoppeld. Een gemiste koppeling maakt van één persoon twee en verkleint de overlap, "
        "zodat de schatting stijgt; een onterechte koppeling doet het omgekeerde. Het interval "
        "van {year} omvat deze onzekerheid niet.",
        "Linkage uncertainty. Reports are linked into persons on encrypted identifiers. A "
        "missed link turns one person into two and shrinks the overlap, so the estimate "
        "rises; a false link does the opposite. The interval of {year} does not include this "
        "uncertainty."),
    "caveat_interval": (
        "Wat het interval niet omvat. Het 95%-interval geeft de statistische onzekerheid bij "
        "het gekozen model. Het omvat niet de keuze van het model (zie de vergelijking van "
        "methoden), slachtoffers die geen enkele melder kan zien, veranderingen in de manier "
        "van melden tussen jaren, en fouten in de gemelde gegevens. Het werkelijke aantal kan "
        "daarom buiten het interval liggen.",
        "What the interval does not include. The 95% interval gives the statistical "
        "uncertainty under the chosen model. It does not include the choice of model (see the "
        "comparison of methods), victims whom no reporter can see, changes in how "
        "organisations report from one year to the next, or errors in the reported data. The "
        "true number can therefore lie outside the interval."),
    "caveat_years": (
        "Jaren vergelijken. Elk jaar wordt apart geschat. Een verschil tussen twee jaren dat "
        "binnen de intervallen valt, is geen aangetoonde verandering.",
        "Comparing years. Each year is estimated on its own. A difference between two years "
        "that lies within the intervals is not a demonstrated change."),
    # 6. targets
    "targets": ("Programmadoelen", "Programme targets"),
    "targets_intro": (
        "Het programma Samen tegen mensenhandel (2018) kent vijf ontwikkellijnen en stelde zelf "
        "geen gekwantificeerde doelen. Hieronder staan de doelen die voor deze monitor zijn "
        "vastgelegd, met hun status op de gegevens tot en met {latest}: op koers (gehaald, of "
        "de trend sinds het basisjaar haalt het doel op tijd), risico (de goede kant op, te "
        "langzaam), uit koers (vlak, de verkeerde kant op of de termijn verstreken) of geen "
        "gegevens.",
        "The programme Together against human trafficking (2018) has five development lines "
        "and set no quantified targets itself. Below are the targets set for this monitor, "
        "with their status on the data up to {latest}: on track (met, or the trend since the "
        "baseline year reaches the target in time), at risk (moving towards it, too slowly), "
        "off track (flat, moving away or past the deadline) or no data."),
    "line": ("Ontwikkellijn {line}: {name}", "Development line {line}: {name}"),
    "target": ("Doel", "Target"), "deadline": ("Termijn", "Deadline"),
    "latest": ("Laatste waarde", "Latest value"), "projected": ("Verwacht", "Projected"),
    "status": ("Status", "Status"), "reasoning": ("Toelichting", "Reasoning"),
    "targets_table": ("Tabel {n}. Doelen van ontwikkellijn {line}.",
                      "Table {n}. Targets of development line {line}."),
    "capacity": ("Capaciteit en budget in {year}: {fte} fte, {budget} euro.",
                 "Capacity and budget in {year}: {fte} FTE, {budget} euro."),
    "no_targets": ("De publicatie bevat geen programmadoelen.",
                   "The publication holds no programme targets."),
    "targets_other_year": ("De status is bepaald op de gegevens tot en met {latest}, niet "
                           "alleen tot {year}.",
                           "The status is evaluated on the data up to {latest}, not only up "
                           "to {year}."),
    # appendix
    "methods": ("Methoden", "Methods"),
    "definitions": ("Indicatoren en hun definities", "Indicators and their definitions"),
    "definitions_intro": (
        "Elke indicator is een vastgelegde definitie met een versie. De vingerafdruk is een "
        "hash van de tekst van de definitie en van de code die haar berekent: een ander getal "
        "met dezelfde versie is daardoor uitgesloten. Het nummer verwijst naar de lijst van "
        "indicatoren van de monitor. Teller, noemer en bron staan er zoals ze in de definitie "
        "zijn vastgelegd, in het Engels.",
        "Every indicator is a recorded definition with a version. The fingerprint is a hash of "
        "the definition's text and of the code that computes it, so a different number under "
        "the same version is ruled out. The number refers to the monitor's list of "
        "indicators."),
    "definitions_table": ("Tabel {n}. Definities van de indicatoren.",
                          "Table {n}. Definitions of the indicators."),
    "counts": ("Wat het telt", "What it counts"), "numerator": ("Teller", "Numerator"),
    "denominator": ("Noemer", "Denominator"), "unit": ("Eenheid", "Unit"),
    "source": ("Bron", "Source"), "version": ("Versie", "Version"),
    "fingerprint": ("Vingerafdruk", "Fingerprint"), "key": ("sleutel", "key"),
    "not_recorded": ("niet vastgelegd voor deze versie", "not recorded for this version"),
    "disclosure": ("Geheimhouding van kleine aantallen", "Disclosure control"),
    "disclosure_text": (
        "Geen gepubliceerd aantal personen ligt onder k = {k}. Kleinere aantallen zijn geheim "
        "(primaire geheimhouding). Omdat rij- en jaartotalen wel worden gepubliceerd, worden "
        "zo nodig ook andere cellen geheim gemaakt (secundaire geheimhouding), zodat geen "
        "geheim aantal uit de gepubliceerde cellen en totalen kan worden teruggerekend; dat is "
        "per tabel met lineaire programmering gecontroleerd. Een jaar dat zo niet te beschermen "
        "is, wordt in zijn geheel niet gepubliceerd. Waarden van indicatoren die op minder dan "
        "k personen berusten, worden niet gepubliceerd. Schattingen van het totale aantal "
        "slachtoffers zijn geen tellingen van herkenbare personen en vallen hier niet onder.",
        "No published count of persons is below k = {k}. Smaller counts are suppressed "
        "(primary suppression). Because row and year totals are published, other cells are "
        "suppressed where needed (secondary suppression), so that no suppressed count can be "
        "derived from the published cells and totals; this was verified for every table by "
        "linear programming. A year that cannot be protected this way is withheld whole. "
        "Indicator values resting on fewer than k persons are withheld. Estimates of the total "
        "number of victims are not counts of identifiable persons and are not suppressed."),
    "suppressed_cells": ("Geheime cellen per uitsplitsing: {cells}.",
                         "Suppressed cells per breakdown: {cells}."),
    "estimation": ("Schattingsmethoden", "Estimation methods"),
    "estimation_text": (
        "Multiple systems estimation telt hoeveel personen door elke combinatie van melders "
        "(lijsten) zijn gezien en past daar een log-lineair model op; het model voorspelt het "
        "aantal personen dat op geen enkele lijst staat. De modellen staan interacties tussen "
        "paren van lijsten toe; het gebruikte model wordt per jaar gekozen ({methods}). Het "
        "interval is het profile-likelihood-interval van het model. De koppelingsband herhaalt "
        "de schatting over plausibele koppelingen van meldingen aan personen; het gecombineerde "
        "interval omvat beide. Ter controle worden ook de klassieke modellen van Rcapture, "
        "graafmiddeling (dga) en een model met latente klassen (LCMCR) op dezelfde tabel "
        "toegepast (hoofdstuk {chapter}). Lijsten met weinig personen worden samengevoegd.",
        "Multiple systems estimation counts how many persons each combination of reporters "
        "(lists) saw and fits a log-linear model to those counts; the model predicts the "
        "number of persons on no list at all. The models allow interactions between pairs of "
        "lists; the model used is chosen per year ({methods}). The interval is the model's "
        "profile likelihood interval. The linkage band repeats the estimate over plausible "
        "linkages of reports into persons; the combined interval includes both. As a check, "
        "Rcapture's classical models, graph averaging (dga) and a latent class model (LCMCR) "
        "are applied to the same table (chapter {chapter}). Lists with few persons are "
        "merged."),
    "sources": ("Gegevensbronnen", "Data sources"),
    "sources_text": (
        "Meldingen: het register van meldingen, gepseudonimiseerd bij ontvangst. Personen: de "
        "koppeling van die meldingen. Bevolking op 1 januari (voor de cijfers per 100.000 "
        "inwoners): de gepubliceerde tabellen in de tabel hieronder; een jaar zonder "
        "gepubliceerd bevolkingscijfer krijgt geen cijfer per 100.000.",
        "Reports: the registry of reports, pseudonymised at intake. Persons: the linkage of "
        "those reports. Population on 1 January (for the rates per 100,000): the published "
        "tables in the table below; a year without a published population gets no rate."),
    "population_table": ("Tabel {n}. Bevolking van Europees Nederland op 1 januari.",
                         "Table {n}. Population of the European Netherlands on 1 January."),
    "population": ("Bevolking", "Population"), "pop_status": ("Status", "Status"),
    "no_population": ("niet beschikbaar", "not available"),
    "about": ("Over deze publicatie", "About this publication"),
    "about_built": ("Publicatie gemaakt op", "Publication built on"),
    "about_version": ("Gemaakt met", "Made with"),
    "about_report": ("Rapport opgemaakt met", "Report typeset with"),
    "about_years": ("Jaren in de publicatie", "Years in the publication"),
    "about_k": ("Drempel k", "Threshold k"),
    "about_reports": ("SHA-256 van de meldingen", "SHA-256 of the reports"),
    "about_persons": ("SHA-256 van de personen", "SHA-256 of the persons"),
    "about_chain": ("Versie van de ketencijfers", "Version of the chain figures"),
    "about_note": (
        "Alle cijfers in dit rapport komen uit één publicatiebestand, dat ook het dashboard "
        "leest; de cijfers zijn daardoor overal gelijk.",
        "Every figure in this report comes from one publication file, which the dashboard "
        "reads too; the figures therefore agree everywhere."),
    "none": ("geen", "none"),
}


class ReportError(ValueError):
    """Bad input for the report: a one-line message for the command line (exit code 2)."""


@dataclass
class Report:
    path: Path
    format: str
    pages: int | None
    seconds: float


# -- reading the publication -------------------------------------------------------------------
def load_publication(path: str | Path) -> dict:
    """Read a publication file; :class:`ReportError` when it is missing, unreadable or not a
    publication of ``zicht monitor publish``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ReportError(f"{path}: not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportError(f"{path}: cannot read it ({getattr(exc, 'strerror', None) or exc})"
                          ) from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReportError(f"{path}: not a publication (not JSON: line {exc.lineno})") from None
    check_publication(doc, str(path))
    return doc


def check_publication(doc: Any, name: str = "publication") -> None:
    public = doc.get("public") if isinstance(doc, dict) else None
    if not isinstance(public, dict) or not isinstance(doc.get("years"), list) or not doc["years"]:
        raise ReportError(f"{name}: not a publication (make one with `zicht monitor publish`)")
    for part in ("indicators", "breakdowns"):
        if part not in public:
            raise ReportError(f"{name}: not a publication (its public part has no {part})")


def report_year(doc: dict, year: int | None) -> int:
    """The year to report on: one of the publication's years (default: the latest)."""
    years = [int(y) for y in doc["years"]]
    if year is None:
        return int(doc.get("latest_year") or max(years))
    if int(year) not in years:
        span = f"{min(years)}-{max(years)}" if len(years) > 1 else str(years[0])
        raise ReportError(f"year {year} is not in the publication (its years: {span})")
    return int(year)


# -- formatting --------------------------------------------------------------------------------
class _Lang:
    def __init__(self, lang: str):
        if lang not in ("nl", "en"):
            raise ReportError(f"language {lang!r}: choose nl or en")
        self.lang = lang
        self.i = 0 if lang == "nl" else 1

    def t(self, key: str, **kw) -> str:
        return TEXT[key][self.i].format(**kw)

    def pick(self, pair) -> str:
        return pair[self.i]

    def num(self, value, unit: str = "count", missing: str = SUPPRESSED) -> str:
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            return missing
        return format_value(value, unit, self.lang)

    def signed(self, value: float, unit: str) -> str:
        sign = "+" if value > 0 else "\u2212" if value < 0 else "\u00b1"
        if unit == "share":  # a difference of shares in percentage points
            text = f"{abs(value) * 100:.1f}"
            text = text.replace(".", ",") if self.lang == "nl" else text
            return f"{sign}{text} {self.t('pp')}"
        return sign + format_value(abs(value), unit, self.lang)

    def date(self, iso: str | None) -> str:
        if not iso:
            return MISSING
        try:
            d = datetime.fromisoformat(iso)
        except ValueError:
            return iso
        if self.lang == "nl":
            return f"{d.day} {MONTHS_NL[d.month - 1]} {d.year}"
        return f"{d.day} {d.strftime('%B')} {d.year}"

    def level(self, by: str, code: str) -> str:
        return labels.level(by, code, self.lang)

    def reporters(self, combo: str) -> str:
        return labels.reporters(combo, self.lang)

    def span(self, years: list[int]) -> str:
        years = sorted(years)
        return f"{years[0]}\u2013{years[-1]}" if len(years) > 1 else str(years[0])


def _svg(chart, lang: str) -> Markup:
    """A chart as inline SVG in the report's font, year labels upright (hidden from screen
    readers: the table beside it carries the numbers).  vl-convert lays the text out with the
    font it is given, so WeasyPrint must draw it with the same one."""
    spec = charts.spec(chart)
    config = spec.get("config") or {}
    config = {**config, "font": CHART_FONT,
              "axisX": {**config.get("axisX", {}), "labelAngle": 0}}
    if lang == "nl":  # 1.234,5 on the axes
        config["locale"] = {"number": NL_NUMBERS}
    spec = {**spec, "config": config}
    svg = charts.to_svg(spec)
    return Markup(svg.replace("<svg ", '<svg aria-hidden="true" focusable="false" ', 1))


def _values(ind: dict | None) -> dict[int, float | None]:
    return {} if ind is None else {int(v["year"]): v["value"] for v in ind["values"]}


def _upto(doc: dict, year: int) -> dict:
    """The publication as far as the charts need it, cut at ``year``."""
    public = dict(doc["public"])
    public["indicators"] = [{**i, "values": [v for v in i["values"] if v["year"] <= year]}
                            for i in public["indicators"]]
    public["estimates"] = [e for e in public.get("estimates") or [] if e["year"] <= year]
    return {**doc, "public": public}


# -- the report's content ----------------------------------------------------------------------
class _Numbering:
    def __init__(self):
        self.table = self.figure = 0

    def next_table(self) -> int:
        self.table += 1
        return self.table

    def next_figure(self) -> int:
        self.figure += 1
        return self.figure


def _published_levels(table: dict | None, year: int) -> set[str]:
    """The levels of a public breakdown whose count of persons is published for ``year``."""
    if not table or year not in table["years"]:
        return set()
    i = table["years"].index(year)
    return {level for level, counts in zip(table["levels"], table["counts"], strict=True)
            if counts[i] is not None}


def report_context(doc: dict, year: int, lang: str) -> dict:
    """Everything the template shows, as plain strings and lists."""
    L = _Lang(lang)
    n = _Numbering()
    public = doc["public"]
    k = doc.get("k")
    years = [y for y in sorted(int(y) for y in doc["years"]) if y <= year]
    indicators = {i["key"]: i for i in public["indicators"]}
    values = {key: _values(ind) for key, ind in indicators.items()}
    estimates = {int(e["year"]): e for e in public.get("estimates") or []
                 if e.get("estimate") is not None}
    est = estimates.get(year)
    reg = values.get("registered_persons", {}).get(year)
    low, high = charts.estimate_interval(est) if est else (None, None)
    chapters = {"summary": 1, "overview": 2, "breakdowns": 3, "overlap": 4, "estimate": 5,
                "targets": 6}

    # 1. summary: key figures and the key indicators beside the previous year
    if est:
        lead = L.t("summary_lead", year=year, registered=L.num(reg), estimate=L.num(
            est["estimate"]), low=L.num(low), high=L.num(high),
            rate=L.num(values.get("detection_rate", {}).get(year), "share"),
            dark=L.num(values.get("dark_number", {}).get(year)))
    else:
        lead = L.t("summary_no_estimate", year=year, registered=L.num(reg))
    key_figures = [
        (L.num(reg), L.t("kf_registered"), L.t("kf_registered_note")),
        (L.num(est["estimate"]) if est else MISSING, L.t("kf_estimated"),
         L.t("kf_interval", low=L.num(low), high=L.num(high)) if est and low is not None
         else ""),
        (L.num(values.get("detection_rate", {}).get(year), "share", MISSING),
         L.t("kf_detection"), L.t("kf_detection_note")),
        (L.num(values.get("dark_number", {}).get(year), "count", MISSING), L.t("kf_dark"),
         L.t("kf_dark_note")),
    ]
    previous = year - 1 if year - 1 in years else None
    key_rows = []
    for key in KEY_INDICATORS:
        ind = indicators.get(key)
        if ind is None or year not in values[key]:
            continue
        now, unit = values[key][year], ind["unit"]
        before = values[key].get(previous) if previous else None
        change = (L.signed(now - before, unit) if now is not None and before is not None
                  else MISSING)
        key_rows.append({"name": ind["name_nl"] if lang == "nl" else ind["name_en"],
                         "key": key, "previous": L.num(before, unit) if previous and
                         previous in values[key] else MISSING,
                         "value": L.num(now, unit), "change": change})
    key_table = n.next_table()

    # 2. registered vs estimated per year
    trimmed = _upto(doc, year)
    overview_rows, combined = [], False
    for y in years:
        e = estimates.get(y)
        lo, hi = charts.estimate_interval(e) if e else (None, None)
        combined = combined or bool(e and e.get("combined_low") is not None)
        overview_rows.append({
            "year": y, "registered": L.num(values.get("registered_persons", {}).get(y)),
            "estimate": L.num(e["estimate"]) if e else MISSING,
            "interval": f"{L.num(lo)}\u2013{L.num(hi)}" if lo is not None else MISSING,
            "detection": L.num(values.get("detection_rate", {}).get(y), "share") if e
            else MISSING,
            "dark": L.num(values.get("dark_number", {}).get(y)) if e else MISSING})
    overview = {"chart": _svg(charts.overview(trimmed, lang, width=540, height=260), lang),
                "figure": n.next_figure(), "table": n.next_table(), "rows": overview_rows,
                "combined": combined}

    # 3. breakdowns (public part only)
    breakdowns = []
    for by in BREAKDOWNS:
        table = public["breakdowns"].get(by)
        if table is None:
            continue
        cols = [i for i, y in enumerate(table["years"]) if int(y) <= year]
        shown_years = [int(table["years"][i]) for i in cols]
        whole = len(cols) == len(table["years"])
        name = labels.breakdown_name(by, lang).capitalize()
        rows = []
        for code, counts, total in zip(table["levels"], table["counts"],
                                       table.get("level_totals") or [None] * len(
                                           table["levels"]), strict=True):
            rows.append({"code": code, "label": L.level(by, code),
                         "cells": [(shown_years[j], L.num(counts[i]))
                                   for j, i in enumerate(cols)],
                         "total": L.num(total)})
        year_totals = table.get("year_totals") or [None] * len(table["years"])
        labelled = {"levels": [L.level(by, c) for c in table["levels"]],
                    "years": shown_years,
                    "counts": [[counts[i] for i in cols] for counts in table["counts"]]}
        # a chart only where some level has a line (two published years)
        lines = any(sum(c is not None for c in counts) > 1 for counts in labelled["counts"])
        chart = charts.trend(labelled, name, width=430, height=200) if lines else None
        withheld = [int(w) for w in table.get("withheld_years") or [] if int(w) <= year]
        breakdowns.append({
            "by": by, "name": name, "years": shown_years, "rows": rows,
            "totals": [L.num(year_totals[i]) for i in cols],
            "show_total": whole and any(r["total"] != SUPPRESSED for r in rows),
            "all_years": L.t("all_years", first=shown_years[0], last=shown_years[-1]),
            "withheld": L.t("withheld", years=", ".join(map(str, withheld))) if withheld
            else None,
            "caribbean": by == "region" and any(c in CARIBBEAN_REGIONS for c in table["levels"]),
            "chart": None if chart is None else _svg(chart, lang),
            "figure": None if chart is None else n.next_figure(),
            "table": n.next_table()})

    # 4. overlap between reporters (public part, the publication's latest year)
    ov = public.get("overlap") or {}
    overlap = {"year": ov.get("year"), "state": "absent", "rows": [], "chart": None,
               "share": None}
    share = values.get("overlap", {}).get(year)
    if share is not None:
        overlap["share"] = L.t("overlap_share", year=year, share=L.num(share, "share"))
    if ov and ov.get("year") != year:
        overlap["state"] = "other_year"
        overlap["note"] = L.t("overlap_other_year", other=ov.get("year"), year=year)
    elif ov.get("withheld"):
        overlap["state"] = "withheld"
        overlap["note"] = L.t("overlap_withheld", year=year)
    elif ov:
        combos = ov.get("combinations") or []
        overlap["state"] = "shown"
        overlap["rows"] = [{"label": L.reporters(c["reporters"]),
                            "codes": c["reporters"].replace("+", " + "),
                            "persons": L.num(c["persons"])} for c in combos]
        shown = [c for c in combos if c["persons"] is not None][:UPSET_MAX]
        if shown:
            overlap["chart"] = _svg(charts.upset(shown, lang, width=520), lang)
            overlap["figure"] = n.next_figure()
            overlap["shown"] = len(shown)
        overlap["table"] = n.next_table()
        codes = sorted({r for c in combos for r in c["reporters"].split("+")})
        overlap["codes"] = L.t("reporter_codes", codes="; ".join(
            f"{c} = {labels.reporters(c, lang)}" for c in codes))

    # 5. the estimate, the method comparison, caveats
    estimate: dict[str, Any] = {"year": year, "present": bool(est)}
    if est:
        estimate["intro"] = L.t("estimate_intro") + (
            " " + L.t("estimate_method", method=est["method"]) if est.get("method") else "")
        rows = []
        if est.get("observed") is not None:
            rows.append((L.t("observed"), L.num(est["observed"])))
        rows.append((L.t("point"), L.num(est["estimate"])))
        if est.get("ci_low") is not None:
            rows.append((L.t("ci_stat"),
                         f"{L.num(est['ci_low'])}\u2013{L.num(est['ci_high'])}"))
        if est.get("band_low") is not None:
            rows.append((L.t("band"), f"{L.num(est['band_low'])}\u2013{L.num(est['band_high'])}"))
        if est.get("combined_low") is not None:
            rows.append((L.t("ci_combined"),
                         f"{L.num(est['combined_low'])}\u2013{L.num(est['combined_high'])}"))
        estimate["rows"] = rows
        estimate["table"] = n.next_table()
    else:
        raw = next((e for e in public.get("estimates") or [] if e["year"] == year), None)
        why = f" ({raw['status']})" if raw and raw.get("status") not in (None, "ok") else ""
        estimate["note"] = L.t("no_estimate", year=year, why=why)
    comparison = (doc.get("analyst") or {}).get("comparison")
    if comparison and comparison.get("year") == year:
        crows = []
        for r in comparison["rows"]:
            crows.append({
                "method": r["method"],
                "estimate": L.num(r.get("estimate"), "count", MISSING),
                "interval": MISSING if r.get("ci_low") is None else
                f"{L.num(r['ci_low'])}\u2013{L.num(r.get('ci_high'), 'count', INFINITY)}",
                "model": r.get("model") or MISSING,
                "verdicts": [labels.verdict(v, lang) for v in r.get("verdicts") or []],
                "ok": (r.get("verdicts") or ["ok"]) == ["ok"],
                "notes": "; ".join(r.get("notes") or [])})
        lists = comparison.get("lists") or []
        chart = charts.comparison(comparison, lang)
        estimate["comparison"] = {
            "intro": L.t("comparison_intro", year=year, observed=L.num(comparison.get(
                "observed")), lists=len(lists), names=", ".join(lists)),
            "rows": crows, "findings": comparison.get("findings") or [],
            "chart": None if chart is None else _svg(chart, lang),
            "figure": None if chart is None else n.next_figure(),
            "table": n.next_table()}
    else:
        estimate["comparison"] = None
        estimate["no_comparison"] = L.t("no_comparison", year=year)
    # the estimate by group (analyst part): a level is shown only where the public breakdown
    # shows its count of persons for the year - an interval's lower bound can sit on the
    # observed count, so a level suppressed there (small, or to protect a neighbour) is
    # suppressed here too, and then the sum (it would give the level away by subtraction)
    estimate["strata"] = []
    strata = (doc.get("analyst") or {}).get("strata")
    if strata and strata.get("year") == year:
        for by, part in strata["by"].items():
            if not part["rows"]:
                continue
            shown = _published_levels(public["breakdowns"].get(by), year)

            def interval(r):
                return MISSING if r.get("ci_low") is None else \
                    f"{L.num(r['ci_low'])}\u2013{L.num(r['ci_high'])}"

            rows, withheld = [], False
            for r in part["rows"]:
                small = r["level"] not in shown
                withheld |= small
                rows.append((L.level(by, r["level"]),
                             SUPPRESSED if small else L.num(r["estimate"], "count", MISSING),
                             SUPPRESSED if small else interval(r)))
            total = None if withheld else part.get("total")
            rows.append((L.t("strata_sum"), MISSING if total is None else L.num(
                total["estimate"]), MISSING if total is None else interval(total)))
            estimate["strata"].append({"by": by, "table": n.next_table(),
                                       "name": labels.breakdown_name(by, lang), "rows": rows})
    caveats = [L.t("caveat_heterogeneity"), L.t("caveat_dependence")]
    if est and est.get("band_low") is not None and est.get("combined_low") is not None:
        caveats.append(L.t("caveat_linkage_band", low=L.num(est["band_low"]),
                           high=L.num(est["band_high"])))
    else:
        caveats.append(L.t("caveat_linkage_none", year=year))
    caveats += [L.t("caveat_interval"), L.t("caveat_years")]
    estimate["caveats"] = [c.split(". ", 1) for c in caveats]

    # 6. targets per development line
    lines: dict[int, dict] = {}
    for t in public.get("targets") or []:
        line = lines.setdefault(t["line"], {"line": t["line"], "title": L.t(
            "line", line=t["line"], name=t["line_nl"] if lang == "nl" else t["line_en"]),
            "rows": [], "capacity": None})
        ind = indicators.get(t["indicator"])
        unit = ind["unit"] if ind else (INDICATORS[t["indicator"]].unit
                                        if t["indicator"] in INDICATORS else "count")
        line["rows"].append({
            "indicator": labels.target_indicator(t, indicators, lang),
            "target": f"{L.pick(DIRECTION.get(t['direction'], (t['direction'],) * 2))} "
                      f"{L.num(t['target'], unit)}",
            "deadline": t.get("deadline") or MISSING,
            "latest": MISSING if t.get("latest") is None else
            f"{L.num(t['latest'], unit)} ({t.get('latest_year')})",
            "status": labels.status(t["status"], lang),
            "status_class": t["status"].replace(" ", "-"),
            "reason": t["reason_nl"] if lang == "nl" else t["reason_en"]})
    # capacity (FTE) and budget per line in the report's year or the last year before it
    for p in public.get("programme") or []:
        shown = [y for y in p["years"] if int(y) <= year]
        if not shown:
            continue
        y = max(shown, key=int)
        cell = p["years"][y]
        line = lines.setdefault(p["line"], {"line": p["line"], "title": L.t(
            "line", line=p["line"], name=p["line_nl"] if lang == "nl" else p["line_en"]),
            "rows": [], "capacity": None})
        line["capacity"] = L.t("capacity", year=y, fte=L.num(cell.get("fte"), "ratio", MISSING),
                               budget=L.num(cell.get("budget_eur"), "count", MISSING))
    targets = []
    for line in sorted(lines.values(), key=lambda x: x["line"]):
        line["table"] = n.next_table() if line["rows"] else None
        targets.append(line)

    # appendix: definitions, disclosure control, estimation, sources, about
    definitions = []
    for key, ind in indicators.items():
        installed = INDICATORS.get(key)
        same = installed is not None and installed.version == ind["version"]
        definitions.append({
            "domain": ind.get("domain") or "", "key": key,
            "name": ind["name_nl"] if lang == "nl" else ind["name_en"],
            "counts": ind.get("counts_nl" if lang == "nl" else "counts_en") or "",
            "numerator": installed.numerator if same else L.t("not_recorded"),
            "denominator": (installed.denominator or MISSING) if same else L.t("not_recorded"),
            "unit": L.pick(UNITS.get(ind["unit"], (ind["unit"],) * 2)),
            "source": ind.get("source") or MISSING, "version": ind["version"],
            "fingerprint": ind.get("fingerprint") or MISSING})
    definitions.sort(key=lambda d: (tuple(int(p) for p in d["domain"].split(".")
                                          if p.isdigit()), d["key"]))
    suppressed = "; ".join(
        f"{labels.breakdown_name(by, lang)} {public['breakdowns'][by].get('suppressed', 0)}"
        for by in BREAKDOWNS if by in public["breakdowns"])
    methods_used = sorted({e.get("method") for e in estimates.values() if e.get("method")})
    inputs = doc.get("inputs") or {}
    appendix = {
        "definitions": definitions, "definitions_table": n.next_table(),
        "disclosure": L.t("disclosure_text", k=k),
        "suppressed": L.t("suppressed_cells", cells=suppressed),
        "estimation": L.t("estimation_text", methods=", ".join(methods_used) or MISSING,
                          chapter=chapters["estimate"]),
        "sources": L.t("sources_text"),
        "population": _population_rows(L, years), "population_table": n.next_table(),
        "about": [(L.t("about_built"), L.date(doc.get("built_at"))),
                  (L.t("about_version"), f"zicht {doc.get('zicht_version') or MISSING}"),
                  (L.t("about_report"), f"zicht {__version__}"),
                  (L.t("about_years"), L.span([int(y) for y in doc["years"]])),
                  (L.t("about_k"), str(k)),
                  (L.t("about_reports"), inputs.get("reports_sha256") or MISSING),
                  (L.t("about_persons"), inputs.get("persons_sha256") or MISSING),
                  (L.t("about_chain"), str(inputs.get("chain_version") or L.t("none")))],
    }

    latest = int(doc.get("latest_year") or max(int(y) for y in doc["years"]))
    return {
        "lang": lang, "t": L.t, "year": year, "k": k, "first": years[0], "latest": latest,
        "built": L.date(doc.get("built_at")), "version": doc.get("zicht_version") or MISSING,
        "renderer": __version__, "chapters": chapters,
        "summary": {"lead": lead, "key_figures": key_figures, "rows": key_rows,
                    "previous": previous, "table": key_table},
        "overview": overview, "breakdowns": breakdowns, "overlap": overlap,
        "estimate": estimate, "targets": targets, "appendix": appendix,
        "legend": L.t("legend", k=k), "legend_missing": L.t("legend_missing"),
        "css": Markup(_resource("report.css")),
    }


def _population_rows(L: _Lang, years: list[int]) -> list[tuple]:
    from ..monitor.population import load_population

    table = load_population()
    table = table[(table["area"] == "NL") & (table["sex"] == "total")
                  & (table["age_band"] == "total")].set_index("year")
    rows = []
    for y in years:
        if y in table.index:
            r = table.loc[y]
            rows.append((y, L.num(int(r["population"])), r["source"], r["status"]))
        else:
            rows.append((y, MISSING, L.t("no_population"), MISSING))
    return rows


def _resource(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def _environment():
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    return Environment(loader=PackageLoader("zicht.report", "templates"),
                       autoescape=select_autoescape(["html"]), undefined=StrictUndefined,
                       trim_blocks=True, lstrip_blocks=True)


def render_html(doc: dict, year: int | None = None, lang: str = "nl") -> str:
    """The report as one HTML document (CSS and SVG charts inline)."""
    check_publication(doc)
    year = report_year(doc, year)
    context = report_context(doc, year, lang)
    return _environment().get_template("annual.html").render(**context)


def render_pdf(html: str) -> tuple[bytes, int]:
    """The HTML rendered by WeasyPrint as an A4 PDF, tagged (headings, tables and reading order
    for screen readers); the bytes and the number of pages."""
    from weasyprint import HTML

    document = HTML(string=html, base_url=str(Path.cwd())).render(pdf_tags=True)
    return document.write_pdf(pdf_tags=True), len(document.pages)


def _write_atomically(out: Path, data: bytes) -> None:
    """Write to a temporary file in the same folder, then rename: a failure leaves nothing
    half-written."""
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def build_report(publication: str | Path | dict, out: str | Path, *, year: int | None = None,
                 lang: str = "nl") -> Report:
    """Render the report of ``year`` from a publication (file or dict) to ``out``; the format
    follows the suffix (``.pdf``, ``.html``)."""
    start = time.perf_counter()
    out = Path(out)
    fmt = FORMATS.get(out.suffix.lower())
    if fmt is None:
        raise ReportError(f"{out}: the report is written as .pdf or .html, not "
                          f"{out.suffix or 'a file without a suffix'}")
    if not out.parent.is_dir():
        raise ReportError(f"{out.parent}: no such folder")
    doc = publication if isinstance(publication, dict) else load_publication(publication)
    html = render_html(doc, year, lang)
    pages = None
    if fmt == "pdf":
        data, pages = render_pdf(html)
    else:
        data = html.encode("utf-8")
    try:
        _write_atomically(out, data)
    except OSError as exc:
        raise ReportError(f"{out}: cannot write it ({exc.strerror or exc})") from None
    return Report(out, fmt, pages, time.perf_counter() - start)
