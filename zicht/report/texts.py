"""The report's texts as (Dutch, English) pairs."""

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
