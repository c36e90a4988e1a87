"""The report's one refusal."""


class ReportError(ValueError):
    """Bad input for the report: a one-line message for the command line (exit code 2)."""
