"""schemathesis against the app's own OpenAPI, logged in as each role (issue 12).

The schema is the one the app serves admins at /openapi.json (`app.openapi()`); schemathesis
generates requests for every operation in it and sends them to the app in-process (ASGI) with
a real session cookie from the /login form. Two properties, each for every role:

- no request, allowed or refused, gets a 5xx;
- every response conforms to the schema: documented status code, content type, headers and
  body schema (schemathesis's default checks), and a request the schema calls valid is
  answered 2xx, 401, 403, 404 or 503, or 400 only with one of the refusals the schema cannot
  express (`web.refusals.DATA_DEPENDENT`: an unknown period, a sort column of another table);
  this replaces schemathesis's `positive_data_acceptance`, which allows no 400 at all.

Besides, every JSON route the app has under /api is in that schema, so "against the OpenAPI"
covers the whole API.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, positive_data_acceptance
from schemathesis.core.failures import FailureGroup

from aco_pipeline.web.access.guard import route_rules
from aco_pipeline.web.access.principal import Role
from aco_pipeline.web.refusals import DATA_DEPENDENT

EXAMPLES = 20


@pytest.fixture(scope="module")
def api_schema(web_app: FastAPI) -> schemathesis.BaseSchema:
    schema = schemathesis.openapi.from_dict(web_app.openapi())
    schema.app = web_app  # requests go to the app in-process, as from_asgi does
    return schema


ACCEPTED = {401, 403, 404, 503}
"""What a schema-valid request may get besides 2xx: not logged in, not allowed, no such
resource, warehouse not built (and 400 for a DATA_DEPENDENT refusal)."""


def valid_requests_are_accepted(ctx, response, case) -> None:
    """A request generated from the schema (positive mode) is not refused for its form."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return
    status = response.status_code
    if 200 <= status < 300 or status in ACCEPTED:
        return
    detail = response.json().get("detail") if status == 400 else None
    if detail in DATA_DEPENDENT:
        return
    raise AssertionError(f"schema-valid request answered {status} ({detail!r})")


def session_cookie(client) -> str:
    return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


def run_operations(schema: schemathesis.BaseSchema, cookie: str,
                   checks: list | None) -> list[str]:
    """Every operation with generated cases; one line per failing operation."""
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def exercise(case) -> None:
            if checks is None:  # the default checks, with our acceptance rule
                case.call_and_validate(headers={"Cookie": cookie},
                                       excluded_checks=[positive_data_acceptance],
                                       additional_checks=[valid_requests_are_accepted])
            else:
                case.call_and_validate(headers={"Cookie": cookie}, checks=checks)

        try:
            exercise()
        except FailureGroup as group:
            found = "; ".join(sorted({f"{f.title} ({f.message.splitlines()[0][:160]})"
                                      for f in group.exceptions}))
            failures.append(f"{operation.label}: {found}")
    return failures


@pytest.mark.parametrize("role", list(Role), ids=str)
def test_no_api_request_gets_a_server_error_as_any_role(api_schema, client_as: Callable,
                                                         role: Role):
    assert list(api_schema.get_all_operations()), "the OpenAPI lists no operation"
    cookie = session_cookie(client_as(role))
    assert run_operations(api_schema, cookie, [not_a_server_error]) == []


@pytest.mark.parametrize("role", list(Role), ids=str)
def test_every_api_response_matches_the_schema_as_each_role(api_schema, client_as: Callable,
                                                            role: Role):
    cookie = session_cookie(client_as(role))
    assert run_operations(api_schema, cookie, None) == []


def test_every_api_route_is_in_the_openapi(web_app: FastAPI):
    documented = set(web_app.openapi().get("paths", {}))
    served = {rule.path for rule in route_rules(web_app) if rule.path.startswith("/api/")}
    assert len(served) >= 4  # /api/executive, /api/finance, /api/network, /api/provider at least
    assert served - documented == set()
