"""The lake tables of CMS's own reports (ingest.cms_report) as warehouse sources.

Cell grain (`cms_reports.workbook.CELL_SCHEMA`): `bnmrk_cells`, `aexpu_cells`, `qexpu_cells`.
Text tables (schema-on-read, every column text under its CMS header name plus the lake's
lineage): the columns the staging models select. Where the reference knows a file's columns
(`cms_reports/layouts/csv_columns.csv`) they are those; NCBP's and the participant list's are
not public, so they are the synthetic files' (docs/cms-reports.md). A source with no delivery
yet is read from an empty stand-in with this schema (warehouse.build.lake_globs), so a
workspace without any report builds as before.
"""

from __future__ import annotations

import pyarrow as pa

from aco_pipeline.cms_reports import catalog
from aco_pipeline.cms_reports.workbook import CELL_SCHEMA
from aco_pipeline.layouts import LINEAGE_FIELDS

CELL_SOURCES: tuple[str, ...] = ("bnmrk_cells", "aexpu_cells", "qexpu_cells")

_NOT_IN_REFERENCE: dict[str, tuple[str, ...]] = {
    "ncbp": ("BENE_MBI_ID", "PAYMENT_MONTH", "PAYMENT_AMT", "PROGRAM_NAME"),
    "participants": ("TIN", "PARTICIPANT_LEGAL_BUSINESS_NAME"),
    "providers_suppliers": ("TIN", "NPI"),
}

TEXT_SOURCES: tuple[str, ...] = ("ncbp", "beur", "mbi_crosswalk", "participants",
                                 "providers_suppliers")

REPORT_SOURCES: tuple[str, ...] = (*CELL_SOURCES, *TEXT_SOURCES)


def text_columns(source: str) -> tuple[str, ...]:
    """The CMS header names a text source's staging model selects."""
    return _NOT_IN_REFERENCE.get(source) or catalog.csv_columns(source)


def report_schema(source: str) -> pa.Schema:
    """The lake schema of a report source (for its empty stand-in)."""
    if source in CELL_SOURCES:
        return CELL_SCHEMA
    if source not in TEXT_SOURCES:
        raise KeyError(source)
    return pa.schema([*((c, pa.string()) for c in text_columns(source)), *LINEAGE_FIELDS])
