"""The web application (FastAPI): the registry's API and pages, later the monitor's."""
