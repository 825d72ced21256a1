"""Cohort reports: the evaluators' tables built from stored answers (see docs/reports.md)."""

from survey.reports.filters import Filters, ReportError
from survey.reports.services import TABLES, ReportRequest, build, parse_points

__all__ = ["TABLES", "Filters", "ReportError", "ReportRequest", "build", "parse_points"]
