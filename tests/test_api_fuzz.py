"""Schemathesis over every operation of the OpenAPI document (/api/v1/_openapi), as central and as
a school clerk: whatever it sends, valid or not, LEC answers without a server error and as the
document says (status, content type, body). Fixed seed; ``FUZZ_EXAMPLES`` examples per operation
and generation mode (a few here, 2,000 in ``make fuzz``).

The fuzzer adds, changes and deletes rows at random, so it runs on a database of its own."""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from conftest import BACKENDS, api_headers, close, database_url, make_app

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "2"))
# Flask-AppBuilder's own sign-in, menu and document APIs: their document is FAB's (a 400 whose message is an
# object, flask-jwt-extended's 422, menu separators as "-", 403 to a school), answered by FAB, not LEC.
FABS_OWN = ("/api/v1/security/", "/api/v1/menu/", "/api/{version}/_openapi")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module", params=BACKENDS)
def fuzzed_app(request, tmp_path_factory):
    with database_url(request.param, tmp_path_factory.mktemp("fuzz")) as url:
        flask_app = make_app(url)
        yield flask_app
        close(flask_app)


def fuzz(operation, headers):
    """The operation's first failure (the check's report, with the request to replay), or None."""
    strategy = st.one_of(
        operation.as_strategy(schemathesis.GenerationMode.POSITIVE),
        operation.as_strategy(schemathesis.GenerationMode.NEGATIVE),
    )

    @settings(max_examples=2 * EXAMPLES, derandomize=True, database=None, deadline=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(case=strategy)
    def run(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    try:
        run()
    except (Exception, FailureGroup) as failure:  # the checks' failures, or an error the case raised
        return "%s: %s" % (type(failure).__name__, failure)
    return None


# The school's run first: central's may reset the school account's password (POST /account/{pk}/reset).
@pytest.mark.parametrize("username", ["school", "central"])
def test_every_operation_answers_as_documented_and_never_a_server_error(fuzzed_app, username):
    client = fuzzed_app.test_client()
    schema = schemathesis.openapi.from_wsgi("/api/v1/_openapi", fuzzed_app, headers=api_headers(client, "central"))
    headers = api_headers(client, username)
    operations = [result.ok() for result in schema.get_all_operations()]
    operations = [operation for operation in operations if not operation.path.startswith(FABS_OWN)]
    failures = {operation.label: fuzz(operation, headers) for operation in operations}
    failures = {label: report for label, report in failures.items() if report}
    assert not failures, "\n\n".join("%s\n%s" % item for item in failures.items())
