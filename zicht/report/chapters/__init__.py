"""The annual report's chapters: one function each, taking the publication as the report reads
it (:class:`zicht.report.context.ReportData`) and the table and figure numbering, and giving
what the template shows of that chapter.  Called in the order of the report."""

from .appendix import appendix
from .breakdowns import breakdowns
from .estimate import estimate
from .modus import modus
from .overlap import overlap
from .overview import overview
from .protection import protection
from .summary import summary
from .targets import capacity, targets
from .whatif import whatif

__all__ = ["appendix", "breakdowns", "capacity", "estimate", "modus", "overlap", "overview",
           "protection", "summary", "targets", "whatif"]
