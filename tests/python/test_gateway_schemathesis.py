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
  and with a wrong token); ``use_after_free`` and
  ``ensure_resource_availability`` act on what earlier requests of a chain
  made. (``object_level_authorization`` is on too, but compares identities
  only when several are configured through ``[auth.wfc]``; one account's
  timers being out of another's reach is test_gateway_rest.py's
  ``test_one_account_never_reaches_anothers_timer``.)

Operations that need a session get a real one: an account is registered
against the live gateway, and SessionAuth gives every request its bearer
token, except ``DELETE /api/sessions/current``, which ends the session it is
sent with and so gets a fresh one each time.

Besides one test per operation, a stateful test chains operations by the
links schemathesis infers from the document (a timer's ``id`` from ``POST
/api/timers`` to ``GET`` and ``DELETE /api/timers/{id}``), which is what
``use_after_free`` and ``ensure_resource_availability`` look at.

Four answers the document cannot predict are checked by ``exemptions``,
each narrowly, each with its reason there; every other check still runs on
those responses.
"""

from __future__ import annotations

import secrets
import time

import _pytest.nodes
import hypothesis
import jsonschema_rs  # schemathesis's own validator
import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    positive_data_acceptance,
    use_after_free,
)

from support import HTTP_TIMEOUT_S, POLL_INTERVAL_S, http_request

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

MAX_EXAMPLES = 100
# Scenarios of the stateful test, and the most steps in one.
STATEFUL_EXAMPLES = 50
STATEFUL_STEPS = 6
SEED = 4004

CONFIG = {
    "seed": SEED,
    "request-timeout": HTTP_TIMEOUT_S,
    "generation": {"max-examples": MAX_EXAMPLES, "mode": "all"},
    "phases": {
        "examples": {"enabled": True},
        "coverage": {"enabled": True},
        "fuzzing": {"enabled": True},
        "stateful": {"enabled": True, "max-steps": STATEFUL_STEPS},
    },
    # Every check, with its default expectations.
    "checks": {"enabled": True},
}

HYPOTHESIS_SETTINGS = {
    "deadline": None,
    "database": None,
    "derandomize": True,
    "suppress_health_check": list(hypothesis.HealthCheck),
}


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


class SessionAuth:
    """``Authorization: Bearer`` with the Session's token; a fresh session
    for the logout, which ends the one it is sent with."""

    def get(self, case, context):
        if case.method.upper() == "DELETE" and case.path == "/api/sessions/current":
            return Session.log_in()
        return Session.token

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@pytest.fixture(scope="module")
def gateway_schema(gateway):
    """The live gateway's /openapi.json, loaded by schemathesis, with a
    session for the operations that need one."""
    Session.start(gateway.addr)
    loaded = schemathesis.openapi.from_url(
        f"http://{gateway.addr}/openapi.json",
        config=SchemathesisConfig.from_dict(CONFIG),
        timeout=HTTP_TIMEOUT_S,
    )
    # No caching by schemathesis (``get`` decides), and no retry on 401: a
    # 401 must reach the checks, not be replayed away with a new token.
    loaded.auth(refresh_interval=None, retry_on=[])(SessionAuth)
    return loaded


schema = schemathesis.pytest.from_fixture("gateway_schema")


# --- what the document cannot predict -------------------------------------------

# The longest timer, in seconds (clocker_wire::MAX_TOTAL_SECONDS), and what
# the timer service says of a longer one.
MAX_TOTAL_SECONDS = 366 * 24 * 3600
TOO_LONG = "a timer may run for at most 366 days (8784 hours)"

# What the services answer to an idempotency key first used for another
# request (accounts: another name; timers: another duration or label).
KEY_REUSED = ("this idempotency key was first used to register another name",
              "the idempotency key '")
KEYED_PATHS = ("/api/accounts", "/api/timers")

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
    if not all(type(value) in (int, float) and value == int(value) for value in fields):
        return None
    hours, minutes, seconds = (int(value) for value in fields)
    return hours * 3600 + minutes * 60 + seconds


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


def exemptions(case, response) -> list:
    """The checks that do not apply to this response, each for a reason the
    document cannot state, after checking what the response must be then.
    Also notes the first use of each idempotency key."""
    keyed = idempotency(case) if is_positive(case) else None
    first_use = FIRST_USE.get((case.path, keyed[0])) if keyed else None
    if keyed is not None and first_use is None and 200 <= response.status_code < 300:
        FIRST_USE[(case.path, keyed[0])] = keyed[1]
    total = total_seconds(case) if is_positive(case) else None
    if total is not None and total > MAX_TOTAL_SECONDS and response.status_code == 400:
        # The one limit JSON Schema cannot state: the document bounds each
        # of hours, minutes and seconds, but not their sum. A body within
        # each bound whose sum passes 366 days is valid to the document and
        # refused by the timer service, with these words. (A token that is
        # not a session's is refused first, with 401, which is no exemption.)
        assert response.json() == {"error": TOO_LONG}, response.text
        return [positive_data_acceptance]
    if keyed is not None and first_use not in (None, keyed[1]) and response.status_code == 400:
        # A state, not a shape: this run already used the key for another
        # request, so the service refuses it (400, saying so), whatever the
        # document says of the request's shape.
        assert response.json()["error"].startswith(KEY_REUSED), response.text
        return [positive_data_acceptance]
    if (
        case.method.upper() == "GET"
        and case.path == "/api/timers/{id}"
        and response.status_code == 200
        and response.json().get("state") != "pending"
    ):
        # DELETE /api/timers/{id} cancels: the timer stays, readable as
        # cancelled (or as it ended, when it had fired), until retention
        # removes it, as the document says; not a 404. A timer read after
        # a successful DELETE must no longer be pending, which this asks.
        return [use_after_free]
    if not is_positive(case) and 200 <= response.status_code < 300 and only_counted_in_characters(case):
        # Within the service's bytes, outside the document's characters (see
        # BYTE_LIMITS): taken, as the document's descriptions say.
        return [negative_data_rejection]
    return []


# How long a request answered "...; retry shortly" is retried.
RETRY_DEADLINE_S = 10.0


def call_until_served(case, **kwargs):
    """The response to ``case``, sent again while it is a 503 or 504 saying
    to retry shortly, until RETRY_DEADLINE_S has passed.

    Each service answers within its method's budget (the timer service
    checks a session with the accounts service within 40 ms, and answers
    within 50 ms); on a loaded machine running debug builds a call now and
    then overruns, and the gateway answers 503 or 504 "...; retry shortly",
    as documented. A client retries that, so this does; a service that stays
    away or slow is still a failure.
    """
    deadline = time.monotonic() + RETRY_DEADLINE_S
    while True:
        response = case.call(**kwargs)
        retry = response.status_code in (503, 504) and "retry shortly" in response.text
        if not retry or time.monotonic() > deadline:
            return response
        time.sleep(POLL_INTERVAL_S)


# --- the tests -------------------------------------------------------------------


@schema.parametrize()
@hypothesis.settings(max_examples=MAX_EXAMPLES, **HYPOTHESIS_SETTINGS)
def test_gateway_conforms_to_its_openapi(case, gateway):
    response = call_until_served(case, base_url=f"http://{gateway.addr}")
    case.validate_response(response, excluded_checks=exemptions(case, response))


def test_gateway_holds_across_chained_operations(gateway_schema):
    """Operations chained by the links schemathesis infers from the document
    (a timer set, then read and cancelled by its id), with every check."""
    machine = gateway_schema.as_state_machine()

    class Chained(machine):
        def call(self, case, **kwargs):
            return call_until_served(case, **kwargs)

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            __tracebackhide__ = True
            case.validate_response(
                response,
                additional_checks=additional_checks,
                excluded_checks=exemptions(case, response),
                transport_kwargs=kwargs or None,
                recorder=self.recorder,
            )

    # As schemathesis runs its own stateful phase: generation only (a
    # scenario's draws depend on the answers, so a replay to shrink one is
    # not the same scenario), from the fixed seed.
    settings = hypothesis.settings(
        max_examples=STATEFUL_EXAMPLES,
        stateful_step_count=STATEFUL_STEPS,
        phases=[hypothesis.Phase.generate],
        deadline=None,
        database=None,
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    hypothesis.seed(SEED)(Chained).run(settings=settings)
