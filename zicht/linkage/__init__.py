"""Linkage: reports become persons, on pseudonymised tokens only (docs/LINKAGE.md).

One run (:func:`zicht.linkage.run.link`, ``zicht link run``) passes through these modules:

- :mod:`~zicht.linkage.inputs` - the one way reports reach linkage: a registry export (its key
  fingerprint checked, so tokens of different keys are never compared) or a ``zicht simulate``
  folder, pseudonymised here by the token scheme the registry's intake uses
  (:mod:`zicht.tokens`; linkage reads exports and never imports the registry), with its truth
  and the lists for estimation its manifest carries;
- :mod:`~zicht.linkage.prepare` - the linkage table: tokens as 64-bit integers, Bloom filters as
  words and bit counts, the attributes the comparisons read;
- :mod:`~zicht.linkage.model` - the Splink model (DuckDB; :mod:`~zicht.linkage.spark` for
  Spark), trained without labels;
- :mod:`~zicht.linkage.cluster` - scored pairs become persons, analysts' decisions on top;
- :mod:`~zicht.linkage.review` - the clerical review queue and its append-only decision log;
- :mod:`~zicht.linkage.persons` - the persons table and the capture histories estimation reads;
- :mod:`~zicht.linkage.evaluate` - precision, recall and F1 against a simulation's truth;
- :mod:`~zicht.linkage.run` - one run, reports in, a folder of plain tables out.
"""

from .inputs import LinkageInputError, Reports, load_reports

__all__ = ["LinkageInputError", "Reports", "load_reports"]
