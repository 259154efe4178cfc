"""The 400 answers a well-formed request can still get, because whether it is valid depends
on the published data or on another parameter.

OpenAPI 3 can say "`tin` is 9 digits" but not "`period` names a period the warehouse holds"
or "`sort` names a column of the table `table=` picks". These messages are the only 400s a
request that matches the app's OpenAPI may receive; the schemathesis test holds the app to
that (tests/web/test_schemathesis.py), and `schemas.API_ERRORS` lists them for API users.
"""

from __future__ import annotations

UNKNOWN_PERIOD = "unknown period"
UNKNOWN_TABLE = "unknown table"
UNKNOWN_SORT = "unknown sort column"
UNSORTABLE = "this column cannot be sorted"
NPI_NEEDS_TIN = "npi needs its tin"
EXPORT_NEEDS_TABLE = "format needs table= naming one of the tables"

DATA_DEPENDENT: frozenset[str] = frozenset({
    UNKNOWN_PERIOD, UNKNOWN_TABLE, UNKNOWN_SORT, UNSORTABLE, NPI_NEEDS_TIN, EXPORT_NEEDS_TABLE,
})
"""Every 400 message whose cause the OpenAPI schema cannot express."""
