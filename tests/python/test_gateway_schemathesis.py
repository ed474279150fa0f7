"""The gateway against its own ``/openapi.json``, with schemathesis.

For every operation the document lists, schemathesis (Python API, one pytest
test per operation) sends its examples, its coverage cases (boundaries,
missing and wrong-typed parameters, methods the document does not list) and
up to MAX_EXAMPLES generated requests, valid and invalid, from a fixed seed,
to a gateway whose upstreams (random, current-time, accounts, timers) all
run. Every check schemathesis has is on, so each response must

- not be a 5xx (502, 503 and 504 included: every upstream is up);
- conform to the document: a documented status, the documented content type
  and headers (``Retry-After`` on a throttled answer), a body that validates
  against the response schema;
- accept what the document calls valid (a 2xx, or 401/403/404/409/429, which
  say something about the caller or the state, not the request's shape) and
  refuse what it calls invalid (4xx): the document declares every limit;
- refuse a missing required header, answer a method it does not list with
  405 and ``Allow``, and refuse an operation that needs a session without
  one (``ignored_auth`` sends each such request again without credentials
  and with a wrong token; ``use_after_free``, ``ensure_resource_availability``
  and ``object_level_authorization`` act on what the other requests made).

Operations that need a session get a real one: an account is registered
against the live gateway, and SessionAuth gives every request its bearer
token, except ``DELETE /api/sessions/current``, which ends the session it is
sent with and so gets a fresh one each time.
"""

from __future__ import annotations

import secrets

import _pytest.nodes
import hypothesis
import jsonschema_rs  # schemathesis's own validator
import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from support import HTTP_TIMEOUT_S, http_request

# schemathesis 4.32's fixture-backed schema (``from_fixture``: the gateway
# starts in a fixture, so the schema cannot be loaded at import) renames the
# test item through ``node._nodeid``, which pytest 9 no longer has (its node
# id is ``nodeid``, from ``_id``). Give nodes that attribute: read, it is the
# node id; written, it holds the name schemathesis reports the operation as.
if not hasattr(_pytest.nodes.Node, "_nodeid"):

    def _get_nodeid(node) -> str:
        return node.__dict__.get("_schemathesis_nodeid", node.nodeid)

    def _set_nodeid(node, value: str) -> None:
        node.__dict__["_schemathesis_nodeid"] = value

    _pytest.nodes.Node._nodeid = property(_get_nodeid, _set_nodeid)

MAX_EXAMPLES = 25
SEED = 4004

CONFIG = {
    "seed": SEED,
    "request-timeout": HTTP_TIMEOUT_S,
    "generation": {"max-examples": MAX_EXAMPLES, "mode": "all"},
    "phases": {
        "examples": {"enabled": True},
        "coverage": {"enabled": True},
        "fuzzing": {"enabled": True},
        "stateful": {"enabled": False},
    },
    # Every check, with its default expectations.
    "checks": {"enabled": True},
}

# The longest timer, in seconds (clocker_wire::MAX_TOTAL_SECONDS), and what
# the timer service says of a longer one.
MAX_TOTAL_SECONDS = 366 * 24 * 3600
TOO_LONG = "a timer may run for at most 366 days (8784 hours)"


class Session:
    """The account the authenticated operations act as, and its token."""

    addr = ""
    username = ""
    password = ""
    token = ""

    @classmethod
    def start(cls, addr: str) -> None:
        cls.addr = addr
        cls.username = f"st_{secrets.token_hex(6)}"
        cls.password = secrets.token_urlsafe(18)
        body = {"username": cls.username, "password": cls.password}
        http_request(addr, "POST", "/api/accounts", body=body).json_object(201)
        cls.token = cls.log_in()

    @classmethod
    def log_in(cls) -> str:
        body = {"username": cls.username, "password": cls.password}
        return http_request(cls.addr, "POST", "/api/sessions", body=body).json_object(200)["token"]


@pytest.fixture(scope="module")
def gateway_schema(gateway):
    """The live gateway's /openapi.json, loaded by schemathesis, and a
    session for the operations that need one."""
    Session.start(gateway.addr)
    return schemathesis.openapi.from_url(
        f"http://{gateway.addr}/openapi.json",
        config=SchemathesisConfig.from_dict(CONFIG),
        timeout=HTTP_TIMEOUT_S,
    )


schema = schemathesis.pytest.from_fixture("gateway_schema")


# No caching by schemathesis (``get`` decides), and no retry on 401: a 401
# must reach the checks, not be replayed away with a new token.
@schema.auth(refresh_interval=None, retry_on=[])
class SessionAuth:
    """``Authorization: Bearer`` with the Session's token; a fresh session
    for the logout, which ends the one it is sent with."""

    def get(self, case, context):
        if case.method.upper() == "DELETE" and case.path == "/api/sessions/current":
            return Session.log_in()
        return Session.token

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


# What the services answer to an idempotency key first used for another
# request (accounts: another name; timers: another duration or label).
KEY_REUSED = ("this idempotency key was first used to register another name",
              "the idempotency key '")
KEYED_PATHS = ("/api/accounts", "/api/timers")


def idempotency(case) -> tuple[str, str] | None:
    """The idempotency key a POST to a keyed path sends (the header wins over
    the body's), and the request as the service fingerprints it."""
    if case.method.upper() != "POST" or case.path not in KEYED_PATHS:
        return None
    body = case.body if isinstance(case.body, dict) else {}
    headers = {name.lower(): value for name, value in (case.headers or {}).items()}
    key = headers.get("idempotency-key")
    if key is None and case.path == "/api/timers":
        key = body.get("idempotency_key")
    if not isinstance(key, str) or not key:
        return None
    if case.path == "/api/accounts":
        fingerprint = repr(str(body.get("username", "")).lower())
    else:
        fingerprint = repr([body.get(name, 0) for name in ("hours", "minutes", "seconds", "label")])
    return key, fingerprint


# The request each key was first used for in this run, by path: the keys
# schemathesis generates are short, so its requests share some.
FIRST_USE: dict[tuple[str, str], str] = {}


# Texts the services limit in bytes of UTF-8, by path: (fewest, most) bytes,
# and a value within the document's limits. JSON Schema counts characters
# (1 to 4 bytes each), so the document declares the character counts every
# text within the bytes meets (a password of 8 to 256 characters, a label of
# at most 50), and says so; a text outside them may still be within the
# bytes (`éééé` is an 8-byte password, 51 `a`s a 51-byte label), and the
# service takes it.
BYTE_LIMITS = {
    "/api/accounts": {"password": (8, 1024, "x" * 8)},
    "/api/sessions": {"password": (8, 1024, "x" * 8)},
    "/api/timers": {"label": (0, 200, "")},
}


def only_counted_in_characters(case) -> bool:
    """Whether a body the document calls invalid breaks it only by the
    character count of texts the service limits in bytes, each within its
    bytes: with each such text replaced by a valid one, the body is valid."""
    limits = BYTE_LIMITS.get(case.path) if case.method.upper() == "POST" else None
    if not limits or not isinstance(case.body, dict):
        return False
    body = dict(case.body)
    replaced = False
    for name, (fewest, most, valid) in limits.items():
        value = body.get(name)
        if isinstance(value, str):
            if not fewest <= len(value.encode()) <= most:
                return False
            body[name] = valid
            replaced = True
    if not replaced:
        return False
    document = case.operation.schema.raw_schema
    content = document["paths"][case.path]["post"]["requestBody"]["content"]
    root = {**content["application/json"]["schema"], "components": document["components"]}
    return jsonschema_rs.Draft202012Validator(root).is_valid(body)


def is_positive(case) -> bool:
    """Whether schemathesis made the case valid to the document."""
    return case.meta is not None and case.meta.generation.mode.is_positive


def total_seconds(case) -> int | None:
    """The duration a ``POST /api/timers`` case asks for, when its body has
    three whole numbers (or leaves them out)."""
    if not (case.method.upper() == "POST" and case.path == "/api/timers"):
        return None
    body = case.body
    if not isinstance(body, dict):
        return None
    fields = [body.get(name, 0) for name in ("hours", "minutes", "seconds")]
    if not all(type(value) is int for value in fields):
        return None
    hours, minutes, seconds = fields
    return hours * 3600 + minutes * 60 + seconds


@schema.parametrize()
@hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(hypothesis.HealthCheck),
)
def test_gateway_conforms_to_its_openapi(case, gateway):
    base_url = f"http://{gateway.addr}"
    total = total_seconds(case) if is_positive(case) else None
    if total is not None and total > MAX_TOTAL_SECONDS:
        # The one limit JSON Schema cannot state: the document bounds each
        # of hours, minutes and seconds, but not their sum. A body within
        # each bound whose sum passes 366 days is valid to the document and
        # refused by the timer service; it must be refused with those
        # words, and pass every other check.
        response = case.call(base_url=base_url)
        case.validate_response(response, excluded_checks=[positive_data_acceptance])
        assert response.status_code == 400, (response.status_code, response.text)
        assert response.json() == {"error": TOO_LONG}, response.text
        return
    keyed = idempotency(case) if is_positive(case) else None
    first_use = FIRST_USE.get((case.path, keyed[0])) if keyed else None
    response = case.call(base_url=base_url)
    if (
        keyed is not None
        and first_use is not None
        and first_use != keyed[1]
        and response.status_code == 400
    ):
        # A state, not a shape: this run already used the key for another
        # request, so the service refuses it (400, saying so), whatever the
        # document says of the request's shape. Every other check holds.
        case.validate_response(response, excluded_checks=[positive_data_acceptance])
        assert response.json()["error"].startswith(KEY_REUSED), response.text
        return
    if keyed is not None and first_use is None and 200 <= response.status_code < 300:
        FIRST_USE[(case.path, keyed[0])] = keyed[1]
    if not is_positive(case) and 200 <= response.status_code < 300 and only_counted_in_characters(case):
        # Within the service's bytes, outside the document's characters (see
        # BYTE_LIMITS): taken, as the document's descriptions say. Every
        # other check holds.
        case.validate_response(response, excluded_checks=[negative_data_rejection])
        return
    case.validate_response(response)
