"""Fixtures of the reporting tests: one full report, built once per session."""

from __future__ import annotations

import pytest

from tests.reporting.helpers import full_report
from transferkit.reporting import Report


@pytest.fixture(scope="session")
def report() -> Report:
    """A report with every kind of figure (7), a table and verdicts of every level."""
    return full_report()


@pytest.fixture(scope="session")
def report_html(report: Report) -> str:
    return report.to_html()


@pytest.fixture(scope="session")
def report_markdown(report: Report) -> str:
    return report.to_markdown()
