# SPDX-License-Identifier: EUPL-1.2
"""The whole HTTP API fuzzed from its own OpenAPI document (schemathesis), against the real
service over the real store: no answer may be a 5xx, and every answer must be one the
document describes (its status code, its media type, its body's schema).

The run is bounded and repeatable: a few examples per operation (``MAX_EXAMPLES``), drawn
deterministically (``derandomize``), not shrunk (a failure is reported as found: shrinking
would replay it hundreds of times), and no example database.

Every operation of the document is run; none is left out. The Open311 POST needs an API
key: the test makes one (``strata apikey create fuzz``) and puts it in every generated body,
so that the reports go through geolocation, routing and storage (into the test store).
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlparse

import httpx
import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from hypothesis import strategies as st
from schemathesis import GenerationMode

from services.openapi import dangling_refs, external_refs

MAX_EXAMPLES = 20
CHECKS = [schemathesis.checks.not_a_server_error,
          schemathesis.checks.status_code_conformance,
          schemathesis.checks.content_type_conformance,
          schemathesis.checks.response_schema_conformance]
CONFIG = schemathesis.Config.from_dict({"generation": {"mode": "all"}})
# positive cases (values the document allows) and negative ones (values it does not): both
# must be answered without a 5xx, with a documented status, media type and body
SETTINGS = hypothesis.settings(
    max_examples=MAX_EXAMPLES, derandomize=True, database=None, deadline=None,
    phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
    report_multiple_bugs=False)


def _log_of(service: str) -> Path | None:
    """The file the service fixture's server writes its log to: the standard output of the
    child of this process that serves on the service's port (Linux: /proc)."""
    port = f"STRATA_PORT={urlparse(service).port}".encode()
    for proc in Path("/proc").iterdir():
        try:
            ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if ppid == os.getpid() and port in (proc / "environ").read_bytes().split(b"\0"):
                return Path(os.readlink(proc / "fd" / "1"))
        except (OSError, ValueError, IndexError):
            continue
    return None


@pytest.fixture(scope="session")
def service_log(service: str) -> Path | None:
    """The service's log: what a failing request left there (a 5xx's traceback) is shown
    with the failure."""
    return _log_of(service)


@pytest.fixture(scope="session")
def api_key(loaded) -> str:
    result = loaded.run("apikey", "create", "fuzz")
    assert result.exit_code == 0, result.output
    return str(result.output.strip().splitlines()[-1])


def test_the_document_resolves_offline(service):
    """OpenAPI 3.0 (checked against the schema pygeoapi ships), every $ref inside it; POST
    is not offered on items."""
    from pygeoapi.openapi import validate_openapi_document

    doc = httpx.get(f"{service}/openapi", params={"f": "json"}, timeout=60).json()
    assert validate_openapi_document(doc)
    assert list(external_refs(doc)) == [] and list(dangling_refs(doc)) == []
    items = doc["paths"]["/collections/municipalities/items"]
    assert "post" not in items and "filter=" in items["get"]["description"]
    params = {p.get("name") for p in items["get"]["parameters"]}
    assert {"name_fr", "municipality_id", "filter", "after", "sortby"} <= params


def test_api(service: str, api_key: str, service_log: Path | None) -> None:
    """Every operation of the document, fuzzed; every failure of every operation is
    reported (with what the service logged meanwhile), not only the first."""
    schema = schemathesis.openapi.from_url(f"{service}/openapi?f=json", config=CONFIG)
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 100
    for operation in operations:
        # the document's examples (a report, a link request, a point ...), then cases drawn
        # in both modes
        strategy = st.one_of(*operation.get_strategies_from_examples(),
                             *(operation.as_strategy(generation_mode=mode)
                               for mode in GenerationMode))

        @hypothesis.given(case=strategy)
        @SETTINGS
        def run(case: schemathesis.Case) -> None:
            if case.method == "POST" and case.path.startswith("/open311/") \
                    and isinstance(case.body, dict):
                case.body["api_key"] = api_key
            case.call_and_validate(base_url=service, checks=CHECKS, timeout=120)

        seen = service_log.stat().st_size if service_log else 0
        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # the other operations still run
            logged = "(the service's log was not found)"
            if service_log is not None:
                with service_log.open("rb") as log:
                    log.seek(seen)
                    logged = log.read().decode(errors="replace")[-4000:]
            failures.append(f"== {operation.label}\n{exc}\n-- service log:\n{logged}")
    assert not failures, f"{len(failures)} operation(s) failed:\n" + "\n".join(failures)


METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _concrete(path: str, item: dict) -> str:
    """The path with its parameters filled (an enum's first value, else a plausible one)."""
    for prm in (p for op in item.values() if isinstance(op, dict)
                for p in op.get("parameters", []) if p.get("in") == "path"):
        value = prm["schema"].get("enum", ["json" if prm["name"] == "format" else "1"])[0]
        path = path.replace(f"{{{prm['name']}}}", str(value))
    return path


def test_other_methods_are_405(service):
    """A method the document does not give a path is answered 405, with Allow and the one
    error shape (Open311's list under /open311)."""
    doc = httpx.get(f"{service}/openapi", params={"f": "json"}, timeout=60).json()
    wrong = []
    for path, item in doc["paths"].items():
        documented = {m.upper() for m in item if m in ("get", "head", "post", "put", "patch",
                                                       "delete")}
        url = f"{service}{_concrete(path, item)}"
        for method in sorted(set(METHODS) - documented):
            r = httpx.request(method, url, timeout=60)
            body = r.json() if r.headers.get("content-type", "").startswith(
                "application/json") else None
            if path.startswith("/open311/"):  # [{"code": 405, "description", "hint"}]
                shaped = isinstance(body, list) and len(body) == 1 and isinstance(
                    body[0], dict) and {"code", "description", "hint"} <= set(body[0]) \
                    and body[0]["code"] == 405
            else:
                shaped = isinstance(body, dict) and {"code", "description", "hint"} <= set(body)
            allowed = {m.strip() for m in r.headers.get("allow", "").split(",")}
            if r.status_code != 405 or not documented <= allowed or not shaped:
                wrong.append(f"{method} {path}: {r.status_code} "
                             f"[{r.headers.get('content-type')}] allow={sorted(allowed)} "
                             f"{r.text[:120]!r}")
    assert not wrong, f"{len(wrong)} answer(s) to other methods:\n" + "\n".join(wrong)
