"""The REST gateway (seed 004's rest-gateway, extended) as an HTTP client sees it.

- The seed's routes with exactly its JSON: ``/health``, ``/random/number``,
  ``/random/string`` (defaults, parsed echoes, Go's ParseBool booleans), and
  the bad-parameter matrix: a missing or empty parameter takes its default;
  non-numeric or out-of-int32 numbers, lengths outside 1-1000 and booleans
  ParseBool refuses are 400 ``{"error":"Invalid '<name>' parameter..."}``.
- ``/api/time`` (exact on a frozen clock), accounts (register, login, me,
  logout with a Bearer token; 400, 401, 409, 429 with Retry-After) and
  timers (201, list with a Bearer, get, cancel; Bearer optional) over REST.
- Every error is ``{"error":"..."}`` as application/json (404, 405, 413 too).
- An upstream that is down is 503 at once (never a hang), and the gateway
  recovers when it comes up; ``/openapi.json`` is OpenAPI 3.1 with every
  route; CORS answers the allowed origins only; the seed README's curl
  commands give the shapes it shows.
"""

from __future__ import annotations

import json
import re
import secrets
import socket
import string
import time
import uuid
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from support import (
    ALLOWED_ORIGINS,
    FOREIGN_ORIGIN,
    FROZEN_INSTANT,
    curl_json,
    check_timer,
    duration_ms,
    get_json,
    http_request,
    parse_rfc3339,
    rfc3339_ms,
)

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1
LETTERS = frozenset(string.ascii_letters)
DIGITS = frozenset(string.digits)
SPECIAL = frozenset("!@#$%^&*()-_=+[]{}|;:,.<>?/")
# Go's strconv.ParseBool.
TRUE_WORDS = ("1", "t", "T", "TRUE", "true", "True")
FALSE_WORDS = ("0", "f", "F", "FALSE", "false", "False")
RANDOM_DOWN = "the random service is unavailable; retry shortly"
# An upstream that is down must be reported well within this (the contract
# says about 2 s; this only tells "answers" from "hangs").
DOWN_BOUND_S = 5.0
# How long a gateway may take to notice that an upstream came up.
RECOVERY_DEADLINE_S = 20.0
# Failed logins to try before concluding that the service never throttles.
MAX_FAILED_LOGINS = 30
# Wall-clock slack when comparing the service's instants with ours.
CLOCK_SLACK_MS = 2_000
BODY_LIMIT = 16 * 1024
ACCOUNT_KEYS = {"id", "username", "created_at"}
TIME_KEYS = {"datetime", "time", "unix_ms", "timezone", "utc_offset", "dst", "abbreviation"}


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def query(path: str, **params: str) -> str:
    """``path?k=v&...`` with the values as given (no encoding: tests pick them)."""
    return path + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


# --- /health and /random ----------------------------------------------------------


def test_health_is_ok(gateway):
    assert get_json(gateway.addr, "/health") == {"status": "ok"}


def number_reply(gateway, path: str) -> dict:
    body = get_json(gateway.addr, path)
    assert set(body) == {"number", "min", "max"}, f"{path}: {body}"
    for key in body:
        assert type(body[key]) is int, f"{path}: {key} is not an integer: {body}"
    low, high = sorted((body["min"], body["max"]))
    assert low <= body["number"] <= high, f"{path}: {body}"
    return body


@pytest.mark.parametrize(
    "path,echo",
    [
        ("/random/number", (1, 100)),
        ("/random/number?min=1&max=100", (1, 100)),
        ("/random/number?min=&max=", (1, 100)),
        ("/random/number?min=5", (5, 100)),
        ("/random/number?max=5", (1, 5)),
        ("/random/number?min=&max=7", (1, 7)),
        ("/random/number?min=-50&max=-40", (-50, -40)),
        ("/random/number?min=50&max=10", (50, 10)),
        ("/random/number?min=42&max=42", (42, 42)),
        (f"/random/number?min={INT32_MIN}&max={INT32_MAX}", (INT32_MIN, INT32_MAX)),
        ("/random/number?min=%2B3&max=4", (3, 4)),
    ],
)
def test_random_number_echoes_the_parsed_bounds(gateway, path, echo):
    body = number_reply(gateway, path)
    assert (body["min"], body["max"]) == echo, f"{path}: {body}"


def test_random_number_covers_its_range_and_swaps_reversed_bounds(gateway):
    seen = {number_reply(gateway, "/random/number?min=3&max=1")["number"] for _ in range(60)}
    # 60 draws from 3 values miss one with probability 3 * (2/3)**60 < 1e-10.
    assert seen == {1, 2, 3}, seen


def test_random_number_full_int32_range_has_both_signs(gateway):
    path = f"/random/number?min={INT32_MIN}&max={INT32_MAX}"
    seen = [number_reply(gateway, path)["number"] for _ in range(40)]
    assert any(v < 0 for v in seen) and any(v > 0 for v in seen), seen


@pytest.mark.parametrize(
    "path,name",
    [
        ("/random/number?min=abc", "min"),
        ("/random/number?max=abc", "max"),
        ("/random/number?min=1.5", "min"),
        ("/random/number?max=1e3", "max"),
        ("/random/number?min=2147483648", "min"),
        ("/random/number?max=2147483648", "max"),
        ("/random/number?min=-2147483649", "min"),
        ("/random/number?max=-2147483649", "max"),
        ("/random/number?min=99999999999999999999999", "min"),
        ("/random/number?min=%20", "min"),
        ("/random/number?min=0x10", "min"),
        ("/random/number?min=1&max=ten", "max"),
    ],
)
def test_random_number_bad_parameters_are_400(gateway, path, name):
    reply = http_request(gateway.addr, "GET", path)
    assert reply.error(400) == f"Invalid '{name}' parameter", reply.describe()


def string_reply(gateway, path: str) -> dict:
    body = get_json(gateway.addr, path)
    assert set(body) == {"string", "length", "include_digits", "include_special"}, body
    assert isinstance(body["string"], str), body
    assert type(body["length"]) is int, body
    assert type(body["include_digits"]) is bool and type(body["include_special"]) is bool, body
    assert len(body["string"]) == body["length"], body
    alphabet = LETTERS
    if body["include_digits"]:
        alphabet |= DIGITS
    if body["include_special"]:
        alphabet |= SPECIAL
    outside = set(body["string"]) - alphabet
    assert not outside, f"{path}: characters outside the alphabet {sorted(outside)}: {body}"
    return body


@pytest.mark.parametrize(
    "path,echo",
    [
        ("/random/string", (10, True, False)),
        ("/random/string?length=10&digits=true&special=false", (10, True, False)),
        ("/random/string?length=&digits=&special=", (10, True, False)),
        ("/random/string?length=1", (1, True, False)),
        ("/random/string?length=1000", (1000, True, False)),
        ("/random/string?digits=false", (10, False, False)),
        ("/random/string?special=true", (10, True, True)),
        ("/random/string?length=25&digits=0&special=1", (25, False, True)),
    ],
)
def test_random_string_echoes_the_parsed_parameters(gateway, path, echo):
    body = string_reply(gateway, path)
    assert (body["length"], body["include_digits"], body["include_special"]) == echo, body


@pytest.mark.parametrize("word", TRUE_WORDS + FALSE_WORDS)
def test_random_string_booleans_are_go_parsebool(gateway, word):
    expected = word in TRUE_WORDS
    digits = string_reply(gateway, f"/random/string?digits={word}")
    assert digits["include_digits"] is expected, (word, digits)
    special = string_reply(gateway, f"/random/string?special={word}")
    assert special["include_special"] is expected, (word, special)


@pytest.mark.parametrize(
    "digits,special,classes",
    [("false", "false", (LETTERS,)), ("true", "false", (LETTERS, DIGITS)),
     ("false", "true", (LETTERS, SPECIAL)), ("true", "true", (LETTERS, DIGITS, SPECIAL))],
)
def test_random_string_alphabets(gateway, digits, special, classes):
    body = string_reply(gateway, f"/random/string?length=1000&digits={digits}&special={special}")
    allowed = frozenset().union(*classes)
    assert set(body["string"]) <= allowed
    for chars in classes:
        assert set(body["string"]) & chars, f"1000 characters and none of {sorted(chars)[:5]}..."


@pytest.mark.parametrize(
    "path,message",
    [
        ("/random/string?length=0", "Invalid 'length' parameter: must be between 1 and 1000"),
        ("/random/string?length=1001", "Invalid 'length' parameter: must be between 1 and 1000"),
        ("/random/string?length=-1", "Invalid 'length' parameter: must be between 1 and 1000"),
        ("/random/string?length=abc", "Invalid 'length' parameter"),
        ("/random/string?length=1.5", "Invalid 'length' parameter"),
        ("/random/string?length=2147483648", "Invalid 'length' parameter"),
        ("/random/string?digits=yes", "Invalid 'digits' parameter"),
        ("/random/string?digits=on", "Invalid 'digits' parameter"),
        ("/random/string?digits=tRUE", "Invalid 'digits' parameter"),
        ("/random/string?special=maybe", "Invalid 'special' parameter"),
        ("/random/string?special=2", "Invalid 'special' parameter"),
    ],
)
def test_random_string_bad_parameters_are_400(gateway, path, message):
    reply = http_request(gateway.addr, "GET", path)
    error = reply.error(400)
    assert error.startswith(message.split(":")[0]), reply.describe()
    assert error == message, reply.describe()


# --- errors in general ------------------------------------------------------------


def test_an_unknown_route_is_a_json_404(gateway):
    http_request(gateway.addr, "GET", "/no/such/route").error(404)


def test_a_wrong_method_is_a_json_405(gateway):
    http_request(gateway.addr, "PUT", "/random/number").error(405)


@pytest.mark.parametrize("path", ["/api/accounts", "/api/sessions", "/api/timers"])
def test_a_body_over_16_kib_is_a_json_413(gateway, path):
    body = json.dumps({"username": "big_body", "password": "x" * (BODY_LIMIT + 1024)})
    reply = http_request(gateway.addr, "POST", path, body=body,
                         headers={"Content-Type": "application/json"})
    reply.error(413)


def test_a_body_just_under_the_limit_is_not_413(gateway):
    # 16 KiB minus a little: refused as a bad password (too long), not as too large.
    body = json.dumps({"username": "under_limit", "password": "x" * (BODY_LIMIT - 100)})
    reply = http_request(gateway.addr, "POST", "/api/accounts", body=body,
                         headers={"Content-Type": "application/json"})
    reply.error(400)


# --- upstreams down ---------------------------------------------------------------


@pytest.fixture(scope="module")
def gateway_down(launch):
    """A gateway whose four upstreams are all a port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"127.0.0.1:{probe.getsockname()[1]}"
    env = {
        f"CLOCKER_{name}_ADDR": closed
        for name in ("RANDOM", "CURRENT_TIME", "ACCOUNTS", "TIMERS")
    }
    return launch("gateway", env=env)


@pytest.mark.parametrize(
    "method,path,body",
    [
        ("GET", "/random/number", None),
        ("GET", "/random/number?min=1&max=6", None),
        ("GET", "/random/string", None),
        ("GET", "/random/string?length=5&digits=false&special=true", None),
        ("GET", "/api/time?tz=UTC", None),
        ("POST", "/api/accounts", {"username": "nobody_here", "password": "long enough pw"}),
        ("POST", "/api/sessions", {"username": "nobody_here", "password": "long enough pw"}),
        ("GET", "/api/timers", None),
        ("POST", "/api/timers", {"hours": 0, "minutes": 1, "seconds": 0}),
        ("GET", f"/api/timers/{uuid.UUID(int=1)}", None),
        ("DELETE", f"/api/timers/{uuid.UUID(int=1)}", None),
    ],
)
def test_an_upstream_that_is_down_is_503_at_once(gateway_down, method, path, body):
    reply = http_request(gateway_down.addr, method, path, body=body)
    message = reply.error(503)
    assert reply.elapsed_s < DOWN_BOUND_S, f"took {reply.elapsed_s:.1f}s: {reply.describe()}"
    if path.startswith("/random/"):
        assert message == RANDOM_DOWN, reply.describe()


def test_a_bearer_request_to_a_down_accounts_service_is_503(gateway_down):
    reply = http_request(gateway_down.addr, "GET", "/api/accounts/me",
                         headers={"Authorization": "Bearer " + "a" * 43})
    reply.error(503)
    assert reply.elapsed_s < DOWN_BOUND_S, reply.describe()


def test_health_says_which_upstreams_are_down_and_livez_that_it_answers(gateway_down):
    """Readiness names every service behind the gateway that does not answer;
    liveness does not depend on them."""
    health = get_json(gateway_down.addr, "/health", status=503)
    assert health["status"] == "not ready", health
    checks = sorted(failing["check"] for failing in health["failing"])
    assert checks == ["accounts", "current-time", "random", "timers"], health
    assert all(failing["reason"] for failing in health["failing"]), health
    assert get_json(gateway_down.addr, "/livez") == {"status": "ok"}


def test_the_gateway_recovers_when_random_comes_up(launch, unused_addr):
    gateway = launch("gateway", env={"CLOCKER_RANDOM_ADDR": unused_addr})
    down = http_request(gateway.addr, "GET", "/random/number")
    assert down.error(503) == RANDOM_DOWN, down.describe()

    random_service = launch("random", addr=unused_addr)
    deadline = time.monotonic() + RECOVERY_DEADLINE_S
    while True:
        reply = http_request(gateway.addr, "GET", "/random/number?min=1&max=6")
        if reply.status == 200:
            break
        reply.error(503)
        assert time.monotonic() < deadline, (
            f"still 503 {RECOVERY_DEADLINE_S}s after random came up at {unused_addr}"
        )
        time.sleep(0.2)
    body = reply.json_object(200)
    assert 1 <= body["number"] <= 6, body
    random_service.stop()
    gateway.stop()


# --- /api/time --------------------------------------------------------------------


def check_time(body: dict) -> datetime:
    assert set(body) == TIME_KEYS, f"keys {sorted(body)} != {sorted(TIME_KEYS)}"
    for key in ("datetime", "time", "timezone", "utc_offset", "abbreviation"):
        assert isinstance(body[key], str), (key, body)
    assert type(body["unix_ms"]) is int and type(body["dst"]) is bool, body
    instant = parse_rfc3339(body["datetime"])
    assert round(instant.timestamp() * 1000) == body["unix_ms"], body
    assert re.fullmatch(r"\d\d:\d\d:\d\d\.\d{3}", body["time"]), body
    assert body["datetime"].split("T")[1].startswith(body["time"]), body
    assert re.fullmatch(r"[+-]\d\d:\d\d", body["utc_offset"]), body
    local = datetime.fromtimestamp(body["unix_ms"] / 1000, ZoneInfo(body["timezone"]))
    offset = local.strftime("%z")
    assert body["utc_offset"] == f"{offset[:3]}:{offset[3:]}", (local, body)
    assert body["dst"] == bool(local.dst()), (local, body)
    assert body["abbreviation"] == local.tzname(), (local, body)
    return instant


def test_api_time_defaults_to_utc_and_is_now(gateway):
    before = now_ms()
    body = get_json(gateway.addr, "/api/time")
    after = now_ms()
    check_time(body)
    assert body["timezone"] == "UTC" and body["utc_offset"] == "+00:00", body
    assert body["dst"] is False and body["abbreviation"] == "UTC", body
    assert before - CLOCK_SLACK_MS <= body["unix_ms"] <= after + CLOCK_SLACK_MS, body


@pytest.mark.parametrize("tz", ["Europe/Paris", "America/New_York", "Asia/Kolkata",
                                "Australia/Lord_Howe", "UTC"])
def test_api_time_in_a_zone(gateway, tz):
    body = get_json(gateway.addr, f"/api/time?tz={tz}")
    check_time(body)
    assert body["timezone"] == tz, body


@pytest.mark.parametrize("tz", ["Mars/Olympus", "Europe/Nowhere", "not a zone"])
def test_api_time_unknown_zone_is_400(gateway, tz):
    reply = http_request(gateway.addr, "GET", "/api/time?tz=" + tz.replace(" ", "%20"))
    assert reply.error(400) == f"unknown time zone '{tz}'", reply.describe()


@pytest.mark.parametrize(
    ("asked", "canonical"),
    [("asia/tokyo", "Asia/Tokyo"), ("EUROPE/PARIS", "Europe/Paris"), ("utc", "UTC"),
     ("america/argentina/buenos_aires", "America/Argentina/Buenos_Aires"),
     # Primary names, as browsers and every door name zones.
     ("etc/utc", "UTC"), ("asia/calcutta", "Asia/Kolkata")],
)
def test_api_time_answers_the_canonical_zone_name(gateway, asked, canonical):
    body = get_json(gateway.addr, f"/api/time?tz={asked}")
    check_time(body)
    assert body["timezone"] == canonical, body


def test_api_time_on_a_frozen_clock_is_exact(launch, frozen):
    gateway = launch("gateway", env={"CLOCKER_CURRENT_TIME_ADDR": frozen["current-time"].addr})
    body = get_json(gateway.addr, "/api/time?tz=America/New_York")
    assert body == {
        "datetime": "2026-03-08T01:59:59.950-05:00",
        "time": "01:59:59.950",
        "unix_ms": rfc3339_ms(FROZEN_INSTANT),
        "timezone": "America/New_York",
        "utc_offset": "-05:00",
        "dst": False,
        "abbreviation": "EST",
    }, body
    paris = get_json(gateway.addr, "/api/time?tz=Europe/Paris")
    assert paris["datetime"] == "2026-03-08T07:59:59.950+01:00", paris
    assert (paris["utc_offset"], paris["dst"], paris["abbreviation"]) == ("+01:00", False, "CET")
    gateway.stop()


# --- accounts over REST -----------------------------------------------------------


def unique_name(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(5)}"


def new_password() -> str:
    return secrets.token_urlsafe(18)


def test_a_registration_retried_with_its_idempotency_key_is_the_same_account(gateway):
    body = {"username": unique_name("idem"), "password": new_password()}
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = http_request(gateway.addr, "POST", "/api/accounts", body=body, headers=key).json_object(201)
    again = http_request(gateway.addr, "POST", "/api/accounts", body=body, headers=key).json_object(201)
    assert again == first, (first, again)
    http_request(gateway.addr, "POST", "/api/accounts", body=body).error(409)


def check_account(account: dict, username: str) -> None:
    assert set(account) == ACCOUNT_KEYS, account
    assert account["username"] == username, account
    uuid.UUID(account["id"])
    created = parse_rfc3339(account["created_at"])
    assert abs(created.timestamp() * 1000 - now_ms()) < 60_000, account


def register(gateway, username: str, password: str) -> dict:
    reply = http_request(gateway.addr, "POST", "/api/accounts",
                         body={"username": username, "password": password})
    account = reply.json_object(201)
    check_account(account, username.lower())
    return account


def login(gateway, username: str, password: str) -> dict:
    reply = http_request(gateway.addr, "POST", "/api/sessions",
                         body={"username": username, "password": password})
    session = reply.json_object(200)
    assert set(session) == {"token", "expires_at", "account"}, session
    assert isinstance(session["token"], str) and len(session["token"]) >= 20, session
    assert parse_rfc3339(session["expires_at"]) > datetime.now(timezone.utc), session
    return session


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_register_login_me_logout_round_trip(gateway):
    username, password = unique_name("rest"), new_password()
    account = register(gateway, username, password)
    session = login(gateway, username, password)
    assert session["account"] == account, (session, account)

    me = get_json(gateway.addr, "/api/accounts/me", headers=bearer(session["token"]))
    assert me == {"account": account, "expires_at": session["expires_at"]}, me

    out = http_request(gateway.addr, "DELETE", "/api/sessions/current",
                       headers=bearer(session["token"]))
    assert out.status == 204 and out.body == b"", out.describe()
    gone = http_request(gateway.addr, "GET", "/api/accounts/me", headers=bearer(session["token"]))
    gone.error(401)


def test_a_username_is_folded_to_lower_case(gateway):
    name = unique_name("Mixed")
    password = new_password()
    account = register(gateway, name, password)
    assert account["username"] == name.lower()
    assert login(gateway, name.upper(), password)["account"] == account


def test_a_taken_username_is_409(gateway):
    username = unique_name("taken")
    register(gateway, username, new_password())
    reply = http_request(gateway.addr, "POST", "/api/accounts",
                         body={"username": username, "password": new_password()})
    reply.error(409)


@pytest.mark.parametrize(
    "body",
    [
        {"username": "ab", "password": "long enough pw"},
        {"username": "has space", "password": "long enough pw"},
        {"username": "x" * 33, "password": "long enough pw"},
        {"username": "short_pw_user", "password": "1234567"},
        {"username": "huge_pw_user", "password": "x" * 1025},
        {"username": "no_password"},
        {"password": "no username at all"},
        {},
        ["not", "an", "object"],
        {"username": 42, "password": "long enough pw"},
    ],
    ids=["short-name", "space", "long-name", "short-password", "long-password",
         "no-password", "no-username", "empty", "array", "number-name"],
)
def test_register_refuses_bad_input_with_400(gateway, body):
    http_request(gateway.addr, "POST", "/api/accounts", body=body).error(400)


def test_register_refuses_broken_json_with_400(gateway):
    reply = http_request(gateway.addr, "POST", "/api/accounts", body='{"username": "x",',
                         headers={"Content-Type": "application/json"})
    reply.error(400)


def test_unknown_user_and_wrong_password_get_the_same_401(gateway):
    username, password = unique_name("wrongpw"), new_password()
    register(gateway, username, password)
    wrong = http_request(gateway.addr, "POST", "/api/sessions",
                         body={"username": username, "password": new_password()})
    unknown = http_request(gateway.addr, "POST", "/api/sessions",
                           body={"username": unique_name("ghost"), "password": new_password()})
    assert wrong.error(401) == unknown.error(401), (wrong.describe(), unknown.describe())


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer garbage"}, {"Authorization": "Basic dXNlcjpwYXNz"},
     {"Authorization": "Bearer "}],
    ids=["none", "garbage", "basic", "empty"],
)
def test_me_without_a_valid_token_is_401(gateway, headers):
    http_request(gateway.addr, "GET", "/api/accounts/me", headers=headers).error(401)


def test_repeated_failed_logins_are_429_with_retry_after(gateway):
    username = unique_name("throttled")
    register(gateway, username, new_password())
    failures = 0
    reply = None
    while failures < MAX_FAILED_LOGINS:
        reply = http_request(gateway.addr, "POST", "/api/sessions",
                             body={"username": username, "password": new_password()})
        if reply.status == 429:
            break
        reply.error(401)
        failures += 1
    assert reply is not None and reply.status == 429, (
        f"{failures} failed logins and still not 429: {reply.describe() if reply else None}"
    )
    assert failures >= 1, "throttled before any failure"
    reply.error(429)
    retry_after = reply.header("Retry-After")
    assert retry_after is not None and retry_after.isdigit() and int(retry_after) > 0, (
        f"Retry-After {retry_after!r}: {reply.describe()}"
    )


# --- timers over REST -------------------------------------------------------------


def set_timer(gateway, body: dict, headers: dict | None = None) -> dict:
    reply = http_request(gateway.addr, "POST", "/api/timers", body=body, headers=headers)
    return check_timer(reply.json_object(201))


def list_timers(gateway, headers: dict | None = None) -> list[dict]:
    body = get_json(gateway.addr, "/api/timers", headers=headers)
    assert set(body) == {"timers"} and isinstance(body["timers"], list), body
    for timer in body["timers"]:
        check_timer(timer)
    return body["timers"]


def test_a_timer_set_retried_with_its_idempotency_key_is_the_same_timer(gateway):
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = {"minutes": 2, "label": "retried"}
    first = set_timer(gateway, body, headers=key)
    # The reply was lost, say: the browser sends the same request again.
    again = set_timer(gateway, body, headers=key)
    assert again == first, (first, again)
    message = http_request(
        gateway.addr, "POST", "/api/timers", body={"minutes": 3}, headers=key
    ).error(400)
    assert "idempotency key" in message, message
    assert set_timer(gateway, body, headers={"Idempotency-Key": str(uuid.uuid4())})["id"] != first["id"]


def test_a_malformed_body_key_is_400_even_when_the_header_wins(gateway):
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    body = {"seconds": 30, "idempotency_key": "not\tprintable"}
    reply = http_request(gateway.addr, "POST", "/api/timers", body=body, headers=headers)
    assert "idempotency_key is 1 to 128 printable" in reply.error(400), reply.describe()
    # A well-formed body key is overruled by the header's.
    other = {"seconds": 30, "idempotency_key": "another-key"}
    first = set_timer(gateway, other, headers=headers)
    assert set_timer(gateway, {"seconds": 30}, headers=headers)["id"] == first["id"]


def test_timers_set_list_get_cancel(gateway):
    before = now_ms()
    timer = set_timer(gateway, {"hours": 0, "minutes": 1, "seconds": 30, "label": "tea"})
    assert (timer["hours"], timer["minutes"], timer["seconds"]) == (0, 1, 30), timer
    assert timer["label"] == "tea" and timer["state"] == "pending", timer
    assert timer["owned"] is False, timer
    created = rfc3339_ms(timer["created_at"])
    assert before - CLOCK_SLACK_MS <= created <= now_ms() + CLOCK_SLACK_MS, timer
    assert timer["fires_at_unix_ms"] - created == duration_ms(0, 1, 30), timer

    # Anonymous timers are never listed: the id is the only way to one.
    http_request(gateway.addr, "GET", "/api/timers").error(401)
    assert get_json(gateway.addr, f"/api/timers/{timer['id']}") == timer

    cancelled = check_timer(
        http_request(gateway.addr, "DELETE", f"/api/timers/{timer['id']}").json_object(200)
    )
    assert cancelled["id"] == timer["id"] and cancelled["state"] == "cancelled", cancelled
    assert get_json(gateway.addr, f"/api/timers/{timer['id']}")["state"] == "cancelled"


def test_a_short_timer_fires(gateway):
    timer = set_timer(gateway, {"seconds": 1, "label": "short"})
    deadline = time.monotonic() + 10
    while True:
        got = check_timer(get_json(gateway.addr, f"/api/timers/{timer['id']}"))
        if got["state"] == "fired":
            break
        assert time.monotonic() < deadline, f"not fired 10 s after setting: {got}"
        time.sleep(0.1)
    assert got["ended_at_unix_ms"] >= got["fires_at_unix_ms"], got


def test_timers_with_a_bearer_are_the_accounts_own(gateway):
    username, password = unique_name("timerowner"), new_password()
    register(gateway, username, password)
    token = login(gateway, username, password)["token"]
    timer = set_timer(gateway, {"minutes": 5, "label": "mine"}, headers=bearer(token))
    assert timer["owned"] is True, timer
    mine = list_timers(gateway, headers=bearer(token))
    assert [t["id"] for t in mine] == [timer["id"]], mine
    http_request(gateway.addr, "GET", "/api/timers").error(401)
    cancelled = http_request(gateway.addr, "DELETE", f"/api/timers/{timer['id']}",
                             headers=bearer(token)).json_object(200)
    assert cancelled["state"] == "cancelled", cancelled


def test_one_account_never_reaches_anothers_timer(gateway):
    accounts = []
    for prefix in ("owner", "other"):
        username, password = unique_name(prefix), new_password()
        register(gateway, username, password)
        accounts.append(bearer(login(gateway, username, password)["token"]))
    owner, other = accounts
    timer = set_timer(gateway, {"minutes": 5, "label": "private"}, headers=owner)
    path = f"/api/timers/{timer['id']}"
    http_request(gateway.addr, "GET", path, headers=other).error(403)
    http_request(gateway.addr, "DELETE", path, headers=other).error(403)
    http_request(gateway.addr, "GET", path).error(403)
    assert list_timers(gateway, headers=other) == []
    assert get_json(gateway.addr, path, headers=owner)["state"] == "pending"
    http_request(gateway.addr, "DELETE", path, headers=owner).json_object(200)


def test_a_bad_token_on_timers_is_401(gateway):
    reply = http_request(gateway.addr, "GET", "/api/timers", headers=bearer("garbage"))
    reply.error(401)


def test_an_unknown_timer_is_404(gateway):
    missing = uuid.uuid4()
    http_request(gateway.addr, "GET", f"/api/timers/{missing}").error(404)
    http_request(gateway.addr, "DELETE", f"/api/timers/{missing}").error(404)


@pytest.mark.parametrize(
    "body",
    [{"seconds": -1}, {"seconds": 1.5}, {"hours": 8785}, {"hours": "one"},
     {"minutes": 1, "colour": "red"}, ["not", "an", "object"], {}, {"seconds": 0},
     {"seconds": 5, "label": "tea\u0000"}, {"seconds": 5, "label": "two\nlines"}],
    ids=["negative", "fraction", "over-366-days", "string", "unknown-key", "array",
         "empty-is-zero-length", "zero-length", "nul-in-label", "newline-in-label"],
)
def test_a_bad_timer_is_400(gateway, body):
    http_request(gateway.addr, "POST", "/api/timers", body=body).error(400)


def test_a_zero_length_timer_is_refused_saying_why(gateway):
    reply = http_request(gateway.addr, "POST", "/api/timers", body={})
    assert reply.error(400) == "a timer must run for at least 1 second (got 0)", reply.describe()


# What each bad body is answered with: the field and what it must be, in
# plain words, never the JSON parser's text.
@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("/api/timers", {"hours": "one"},
         '"hours" must be a whole number from 0 to 8784 (got "one")'),
        ("/api/timers", {"seconds": 1.5},
         '"seconds" must be a whole number from 0 to 31622400 (got 1.5)'),
        ("/api/timers", {"seconds": 9223372036854775806},
         '"seconds" must be a whole number from 0 to 31622400 (got 9223372036854775806)'),
        ("/api/timers", {"minutes": -1},
         '"minutes" must be a whole number from 0 to 527040 (got -1)'),
        ("/api/timers", {"minutes": 1, "colour": "red"},
         'unknown field "colour" (the fields are "hours", "minutes", "seconds", "label", '
         '"token", "idempotency_key")'),
        ("/api/timers", {"seconds": 5, "label": None}, '"label" must be a string (got null)'),
        ("/api/timers", {"seconds": 5, "label": "é" * 101},
         "the label is 202 bytes; at most 200 are allowed"),
        ("/api/timers", ["not", "an", "object"], "the body must be a JSON object (got an array)"),
        ("/api/timers", '{"seconds": 5,', "the body is not valid JSON"),
        ("/api/timers", '{"seconds": 5} trailing', "the body is not valid JSON"),
        ("/api/timers", "", "the body is not valid JSON"),
        ("/api/accounts", {"username": 42, "password": "long enough pw"},
         '"username" must be a string (got 42)'),
        ("/api/accounts", {"username": "no_password"}, '"password" is required'),
        ("/api/accounts", {"username": "short_pw", "password": "ééé"},
         "passwords are 8 to 1024 bytes long (this one has 6)"),
        ("/api/sessions", {"username": "long_pw", "password": "é" * 513},
         "passwords are 8 to 1024 bytes long (this one has 1026)"),
    ],
    ids=["string-hours", "fraction", "huge-seconds", "negative", "unknown-field", "null-label",
         "long-label", "array", "truncated", "trailing", "empty", "number-name", "no-password",
         "few-bytes", "many-bytes"],
)
def test_a_bad_body_is_400_saying_which_field_and_why(gateway, path, body, message):
    headers = {"Content-Type": "application/json"} if isinstance(body, str) else None
    reply = http_request(gateway.addr, "POST", path, body=body, headers=headers)
    assert reply.error(400) == message, reply.describe()


def test_a_body_not_sent_as_json_is_415_saying_so(gateway):
    reply = http_request(gateway.addr, "POST", "/api/timers", body='{"seconds": 5}',
                         headers={"Content-Type": "text/plain"})
    assert reply.error(415) == "the body must be JSON, sent with Content-Type: application/json"


@pytest.mark.parametrize(
    ("password", "label"),
    [("😀" * 256, "😀" * 50), ("éééé", "a" * 200)],
    ids=["widest-within-the-documented-characters", "within-the-bytes-outside-the-characters"],
)
def test_texts_are_limited_in_bytes_and_documented_in_characters(gateway, password, label):
    """The documented character limits (a password of 8 to 256, a label of
    at most 50) are met by every text within the services' bytes, even of
    4-byte characters (1024 and 200 bytes); a text outside them but within
    the bytes is taken as well, as the document says."""
    username = unique_name("wide")
    register(gateway, username, password)
    token = login(gateway, username, password)["token"]
    timer = set_timer(gateway, {"seconds": 30, "label": label}, headers=bearer(token))
    assert timer["label"] == label, timer
    http_request(gateway.addr, "DELETE", f"/api/timers/{timer['id']}",
                 headers=bearer(token)).json_object(200)


def test_a_whole_number_with_a_point_is_a_whole_number(gateway):
    """JSON Schema's integer is any number without a fraction: 5.0 is 5."""
    username, password = unique_name("point"), new_password()
    register(gateway, username, password)
    token = login(gateway, username, password)["token"]
    timer = set_timer(gateway, {"minutes": 5.0}, headers=bearer(token))
    assert (timer["hours"], timer["minutes"], timer["seconds"]) == (0, 5, 0), timer
    http_request(gateway.addr, "DELETE", f"/api/timers/{timer['id']}",
                 headers=bearer(token)).json_object(200)


# --- /openapi.json and /metrics ---------------------------------------------------

ROUTES = {
    "/health": {"get"},
    "/livez": {"get"},
    "/random/number": {"get"},
    "/random/string": {"get"},
    "/api/time": {"get"},
    "/api/time/next": {"get"},
    "/api/account/world-clock": {"get", "put"},
    "/api/accounts": {"post"},
    "/api/sessions": {"post"},
    "/api/accounts/me": {"get"},
    "/api/sessions/current": {"delete"},
    "/api/timers": {"get", "post"},
    "/api/timers/{id}": {"get", "delete"},
    "/openapi.json": {"get"},
    "/metrics": {"get"},
}
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def test_openapi_is_3_1_and_lists_every_route(gateway):
    document = get_json(gateway.addr, "/openapi.json")
    assert isinstance(document.get("openapi"), str) and document["openapi"].startswith("3.1."), (
        document.get("openapi")
    )
    assert isinstance(document.get("info"), dict) and document["info"].get("title"), document.get("info")
    paths = document.get("paths")
    assert isinstance(paths, dict), document
    listed = {path: {m for m in item if m in HTTP_METHODS} for path, item in paths.items()}
    missing = {
        path: sorted(methods - listed.get(path, set()))
        for path, methods in ROUTES.items()
        if methods - listed.get(path, set())
    }
    assert not missing, f"routes missing from /openapi.json: {missing}; listed: {listed}"
    for path, methods in listed.items():
        for method in methods:
            responses = paths[path][method].get("responses")
            assert isinstance(responses, dict) and responses, f"{method} {path} has no responses"


def test_openapi_documents_the_error_statuses(gateway):
    paths = get_json(gateway.addr, "/openapi.json")["paths"]
    expected = {
        ("/random/number", "get"): {"200", "400", "503"},
        ("/random/string", "get"): {"200", "400", "503"},
        ("/api/time", "get"): {"200", "400", "503"},
        ("/api/time/next", "get"): {"200", "400", "503"},
        ("/api/account/world-clock", "get"): {"200", "401", "503"},
        ("/api/account/world-clock", "put"): {"200", "400", "401", "413", "415", "503"},
        ("/api/accounts", "post"): {"201", "400", "409", "503"},
        ("/api/sessions", "post"): {"200", "400", "401", "429", "503"},
        ("/api/accounts/me", "get"): {"200", "401", "503"},
        ("/api/sessions/current", "delete"): {"204", "401"},
        ("/api/timers", "post"): {"201", "400", "503"},
        ("/api/timers/{id}", "get"): {"200", "404", "503"},
        ("/api/timers/{id}", "delete"): {"200", "404", "503"},
    }
    undocumented = {}
    for (path, method), statuses in expected.items():
        documented = set(paths.get(path, {}).get(method, {}).get("responses", {}))
        if "default" not in documented and statuses - documented:
            undocumented[f"{method.upper()} {path}"] = sorted(statuses - documented)
    assert not undocumented, f"statuses the contract gives but /openapi.json does not: {undocumented}"


def resolve(document: dict, schema: dict) -> dict:
    """``schema``, or what its ``$ref`` names in ``document``."""
    ref = schema.get("$ref")
    if ref is None:
        return schema
    node = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def test_openapi_declares_the_limits_it_keeps(gateway):
    document = get_json(gateway.addr, "/openapi.json")
    paths = document["paths"]

    def body_schema(path: str) -> dict:
        content = paths[path]["post"]["requestBody"]["content"]["application/json"]
        return resolve(document, content["schema"])

    credentials = body_schema("/api/accounts")["properties"]
    assert credentials["username"].items() >= {"minLength": 3, "maxLength": 32}.items(), credentials
    assert re.fullmatch(credentials["username"]["pattern"], "Ada.B-2_"), credentials
    assert not re.search(credentials["username"]["pattern"], "o'brien"), credentials
    assert credentials["password"].items() >= {"minLength": 8, "maxLength": 256}.items(), credentials

    timer, at_least_one_second = body_schema("/api/timers")["allOf"]
    fields = timer["properties"]
    for name, maximum in (("hours", 8784), ("minutes", 527040), ("seconds", 31622400)):
        assert fields[name].items() >= {"minimum": 0, "maximum": maximum}.items(), fields[name]
    assert fields["label"]["maxLength"] == 50, fields["label"]
    assert fields["idempotency_key"]["maxLength"] == 128, fields["idempotency_key"]
    assert timer["additionalProperties"] is False, timer
    assert [branch["required"] for branch in at_least_one_second["anyOf"]] == [
        ["hours"], ["minutes"], ["seconds"]], at_least_one_second

    zones = paths["/api/time"]["get"]["parameters"][0]["schema"]["enum"]
    assert {"", "UTC", "Asia/Tokyo", "America/Argentina/Buenos_Aires"} <= set(zones)
    assert "Mars/Olympus" not in zones
    length = paths["/random/string"]["get"]["parameters"][0]["schema"]["anyOf"][0]
    assert length.items() >= {"minimum": 1, "maximum": 1000}.items(), length
    timer_id = paths["/api/timers/{id}"]["get"]["parameters"][0]["schema"]
    assert timer_id["format"] == "uuid", timer_id

    # A throttled login or registration always says when to retry.
    for path in ("/api/accounts", "/api/sessions"):
        throttled = paths[path]["post"]["responses"]["429"]
        assert throttled["headers"]["Retry-After"]["required"] is True, throttled


def test_metrics_is_prometheus_text(gateway):
    get_json(gateway.addr, "/health")
    reply = http_request(gateway.addr, "GET", "/metrics")
    assert reply.status == 200, reply.describe()
    assert (reply.header("Content-Type") or "").startswith("text/plain"), reply.describe()
    text = reply.body.decode()
    sample = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? \S+$", re.M)
    assert sample.search(text), text[:500]


# --- CORS -------------------------------------------------------------------------


def preflight(addr: str, origin: str, method: str, path: str, headers: str = "") -> object:
    sent = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers:
        sent["Access-Control-Request-Headers"] = headers
    return http_request(addr, "OPTIONS", path, headers=sent)


@pytest.mark.parametrize("origin", ALLOWED_ORIGINS)
def test_cors_preflight_from_an_allowed_origin(gateway, origin):
    reply = preflight(gateway.addr, origin, "GET", "/random/number")
    assert reply.status in (200, 204), reply.describe()
    assert reply.header("Access-Control-Allow-Origin") == origin, dict(reply.headers)
    methods = (reply.header("Access-Control-Allow-Methods") or "").upper()
    assert "GET" in methods or methods.strip() == "*", dict(reply.headers)

    post = preflight(gateway.addr, origin, "POST", "/api/accounts", "content-type,authorization")
    assert post.header("Access-Control-Allow-Origin") == origin, dict(post.headers)
    allowed = (post.header("Access-Control-Allow-Headers") or "").lower()
    assert "content-type" in allowed and "authorization" in allowed, dict(post.headers)
    keyed = preflight(gateway.addr, origin, "POST", "/api/timers", "content-type,idempotency-key")
    allowed = (keyed.header("Access-Control-Allow-Headers") or "").lower()
    assert "idempotency-key" in allowed, dict(keyed.headers)
    delete = preflight(gateway.addr, origin, "DELETE", "/api/timers/x", "authorization")
    assert "DELETE" in (delete.header("Access-Control-Allow-Methods") or "").upper(), dict(
        delete.headers)


@pytest.mark.parametrize("origin", ALLOWED_ORIGINS)
def test_cors_simple_request_from_an_allowed_origin(gateway, origin):
    reply = http_request(gateway.addr, "GET", "/random/number", headers={"Origin": origin})
    assert reply.status == 200, reply.describe()
    assert reply.header("Access-Control-Allow-Origin") == origin, dict(reply.headers)


@pytest.mark.parametrize("origin", [FOREIGN_ORIGIN, "http://allowed.example:3001",
                                    "https://allowed.example:3000", "null"])
def test_cors_refuses_a_foreign_origin(gateway, origin):
    reply = preflight(gateway.addr, origin, "GET", "/random/number")
    assert reply.header("Access-Control-Allow-Origin") is None, dict(reply.headers)
    simple = http_request(gateway.addr, "GET", "/random/number", headers={"Origin": origin})
    assert simple.header("Access-Control-Allow-Origin") is None, dict(simple.headers)


def test_cors_default_is_the_funnels_origin(launch, random_service):
    gateway = launch("gateway", env={"CLOCKER_RANDOM_ADDR": random_service.addr})
    for origin in ("http://127.0.0.1:8080", "http://localhost:8080"):
        reply = preflight(gateway.addr, origin, "GET", "/random/number")
        assert reply.header("Access-Control-Allow-Origin") == origin, (origin, dict(reply.headers))
    foreign = preflight(gateway.addr, FOREIGN_ORIGIN, "GET", "/random/number")
    assert foreign.header("Access-Control-Allow-Origin") is None, dict(foreign.headers)
    gateway.stop()


# --- the seed README's curl commands ----------------------------------------------


def test_readme_health(gateway):
    assert curl_json(f"http://{gateway.addr}/health") == {"status": "ok"}


def test_readme_random_number(gateway):
    body = curl_json(f"http://{gateway.addr}/random/number?min=1&max=100")
    assert set(body) == {"number", "min", "max"}, body
    assert type(body["number"]) is int and 1 <= body["number"] <= 100, body
    assert (body["min"], body["max"]) == (1, 100), body


def test_readme_random_string(gateway):
    body = curl_json(f"http://{gateway.addr}/random/string?length=10&digits=true&special=false")
    assert set(body) == {"string", "length", "include_digits", "include_special"}, body
    assert isinstance(body["string"], str) and len(body["string"]) == 10, body
    assert set(body["string"]) <= LETTERS | DIGITS, body
    assert (body["length"], body["include_digits"], body["include_special"]) == (10, True, False)
