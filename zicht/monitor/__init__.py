"""The monitor: indicators, population rates, disclosure control, targets and what-if analysis.

Composes the stages (registry exports, linked persons, estimates) into the figures the
dashboard and the annual report publish.  See ``docs/ARCHITECTURE.md``.
"""
