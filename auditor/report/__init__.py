"""Report formats: each turns a results document into bytes (docs/formats.md).

Reports import :mod:`auditor.results` only, never the engine, and render from the
results document alone, so a report can be re-rendered (or checked) from a
``results.json`` long after the audit ran. Every format is deterministic: the
same document gives the same bytes.
"""

from __future__ import annotations

from auditor.report.base import ReportFormat
from auditor.report.csvfmt import CsvFormat
from auditor.report.htmlreport import HtmlFormat, extract_results
from auditor.report.jsonfmt import JsonFormat
from auditor.report.junit import JunitFormat
from auditor.report.markdown import MarkdownFormat
from auditor.report.ocsf import OcsfFormat
from auditor.report.oscal import OscalFormat
from auditor.report.sarif import SarifFormat
from auditor.report.xlsx import XlsxFormat

#: file formats written by default, in the order they are written and listed
FILE_FORMATS: tuple[str, ...] = ("json", "sarif", "junit", "markdown", "csv", "html")
#: formats written only when ``--format`` names them
ON_REQUEST_FORMATS: tuple[str, ...] = ("oscal", "xlsx", "ocsf")

FORMATS: dict[str, ReportFormat] = {
    fmt.name: fmt
    for fmt in (
        JsonFormat(),
        SarifFormat(),
        JunitFormat(),
        MarkdownFormat(),
        CsvFormat(),
        HtmlFormat(),
        OscalFormat(),
        XlsxFormat(),
        OcsfFormat(),
    )
}

assert tuple(FORMATS) == FILE_FORMATS + ON_REQUEST_FORMATS


def get_format(name: str) -> ReportFormat:
    """The format called ``name``; ``KeyError`` lists the known ones."""
    try:
        return FORMATS[name]
    except KeyError:
        raise KeyError(f"unknown report format {name!r}; known: {', '.join(FORMATS)}") from None


__all__ = ["FILE_FORMATS", "FORMATS", "ON_REQUEST_FORMATS", "ReportFormat", "extract_results", "get_format"]
