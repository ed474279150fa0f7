"""The accounts service (accounts.proto, seed 003) as third-party clients see it.

- The Node demo (``clients/node/demo.js``, @grpc/grpc-js) and the Python demo
  (``clients/python/demo.py``, grpcio) run as their README says against a live
  service: one JSON line per step (register, login, whoami, logout, whoami
  refused after logout), never the password or the token; a clear message and
  a non-zero status when the service is unreachable or the name is taken.
- grpcio straight on the wire: the round trip; ALREADY_EXISTS for a taken
  name; one UNAUTHENTICATED message for an unknown user and a wrong password;
  INVALID_ARGUMENT for names outside 3-32 of [a-z0-9_.-] and passwords
  outside 8-1024 bytes; UNAUTHENTICATED for a bad token; the token in
  ``authorization: Bearer`` metadata; idempotent logout; case folding;
  RESOURCE_EXHAUSTED with ``retry-after`` after repeated failures.

Every test makes its own usernames, so none depends on another's accounts.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone

import grpc
import pytest

from support import REPO, RPC_TIMEOUT_S

NODE_DEMO = REPO / "clients" / "node" / "demo.js"
NODE_MODULES_STAMP = REPO / "clients" / "node" / "node_modules" / ".clocker-installed"
PYTHON_DEMO = REPO / "clients" / "python" / "demo.py"

# A whole demo run: interpreter start-up, (Python) stub generation, five calls.
DEMO_DEADLINE_S = 60.0
# Failed logins to try before concluding that the service never throttles.
MAX_FAILED_LOGINS = 30

STEPS = ["register", "login", "whoami", "logout", "whoami_after_logout"]
# Exactly these keys per step: nothing else (no token, no password) is printed.
STEP_KEYS = {
    "register": {"step", "username", "id", "created_at"},
    "login": {"step", "username", "token_length", "expires_at"},
    "whoami": {"step", "username", "id", "expires_at"},
    "logout": {"step", "ok"},
    "whoami_after_logout": {"step", "refused", "code"},
}

UNAUTHENTICATED = grpc.StatusCode.UNAUTHENTICATED
INVALID_ARGUMENT = grpc.StatusCode.INVALID_ARGUMENT


def unique_name(prefix: str) -> str:
    """A username no other test (or earlier run on the same database) uses."""
    return f"{prefix}_{secrets.token_hex(5)}"


def new_password() -> str:
    return secrets.token_urlsafe(18)


def expect_error(call, code: grpc.StatusCode) -> grpc.RpcError:
    """Runs ``call``, checks it fails with ``code``, returns the error."""
    with pytest.raises(grpc.RpcError) as raised:
        reply = call()
        pytest.fail(f"expected {code.name}, got a reply: {reply}")
    error = raised.value
    assert error.code() == code, (error.code(), error.details())
    return error


def parse_iso(text: str) -> datetime:
    """An ISO 8601 UTC instant as the demos print it (``...T06:59:59.950Z``)."""
    assert text.endswith("Z"), text
    return datetime.fromisoformat(text[:-1] + "+00:00")


# --- the demos --------------------------------------------------------------


def node_command() -> list[str]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not on PATH; install Node.js 20 or newer", pytrace=False)
    if not NODE_MODULES_STAMP.is_file():
        pytest.fail(
            "clients/node/node_modules is not installed; run `bash scripts/clients-env.sh` "
            "(or `make test-python`, which does)",
            pytrace=False,
        )
    return [node, str(NODE_DEMO)]


def python_command() -> list[str]:
    return [sys.executable, str(PYTHON_DEMO)]


DEMOS = {"node": (node_command, "node_"), "python": (python_command, "py_")}


def run_demo(
    demo: str, addr: str, *args: str, password: str, cwd
) -> subprocess.CompletedProcess:
    """Runs a demo against ``addr`` from ``cwd`` (not the client's folder, to
    show the .proto is found from the script)."""
    command, _ = DEMOS[demo]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOCKER_")}
    env.update(CLOCKER_ACCOUNTS_ADDR=addr, CLOCKER_PASSWORD=password)
    try:
        return subprocess.run(
            [*command(), *args],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=DEMO_DEADLINE_S,
        )
    except subprocess.TimeoutExpired as timeout:
        pytest.fail(f"the {demo} demo did not finish within {DEMO_DEADLINE_S}s\n"
                    f"stdout:\n{timeout.stdout}\nstderr:\n{timeout.stderr}")


def demo_lines(demo: str, result: subprocess.CompletedProcess) -> dict[str, dict]:
    """The demo's JSON lines by step, after checking it succeeded and printed
    exactly the expected steps with exactly the expected keys."""
    assert result.returncode == 0, (
        f"the {demo} demo exited with {result.returncode}\n"
        f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    )
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert [line.get("step") for line in lines] == STEPS, result.stdout
    for line in lines:
        assert set(line) == STEP_KEYS[line["step"]], line
    return {line["step"]: line for line in lines}


def assert_flow(steps: dict[str, dict], username: str, started: datetime, ended: datetime):
    """What each step of a successful demo must say."""
    slack = timedelta(seconds=2)  # the timestamps are truncated to milliseconds

    register = steps["register"]
    assert register["username"] == username
    uuid.UUID(register["id"])  # a UUID, per accounts.proto
    assert started - slack <= parse_iso(register["created_at"]) <= ended + slack, register

    login = steps["login"]
    assert login["username"] == username
    # 32 random bytes in some text encoding: at least 32 characters.
    assert isinstance(login["token_length"], int) and login["token_length"] >= 32, login
    expires_at = parse_iso(login["expires_at"])
    assert expires_at > ended, f"the session expires before the demo ended: {login}"

    whoami = steps["whoami"]
    assert (whoami["username"], whoami["id"]) == (username, register["id"])
    assert parse_iso(whoami["expires_at"]) >= expires_at, (whoami, login)

    assert steps["logout"] == {"step": "logout", "ok": True}
    assert steps["whoami_after_logout"] == {
        "step": "whoami_after_logout",
        "refused": True,
        "code": "UNAUTHENTICATED",
    }


@pytest.mark.parametrize("demo", sorted(DEMOS))
def test_demo_runs_the_whole_flow_with_a_random_username(demo, accounts, tmp_path):
    password = new_password()
    started = datetime.now(timezone.utc)
    result = run_demo(demo, accounts.addr, password=password, cwd=tmp_path)
    ended = datetime.now(timezone.utc)

    steps = demo_lines(demo, result)
    username = steps["register"]["username"]
    prefix = DEMOS[demo][1]
    assert username.startswith(prefix) and len(username) > len(prefix), username
    assert_flow(steps, username, started, ended)
    assert password not in result.stdout + result.stderr


@pytest.mark.parametrize("demo", sorted(DEMOS))
def test_demo_takes_the_username_from_its_argument_folded_to_lower_case(
    demo, accounts, accounts_stub, accounts_stubs, tmp_path
):
    given = unique_name(f"{demo.capitalize()}_Given")
    password = new_password()
    started = datetime.now(timezone.utc)
    result = run_demo(demo, accounts.addr, given, password=password, cwd=tmp_path)
    ended = datetime.now(timezone.utc)

    assert_flow(demo_lines(demo, result), given.lower(), started, ended)
    assert password not in result.stdout + result.stderr
    # The account exists with the password from $CLOCKER_PASSWORD.
    reply = accounts_stub.Login(
        accounts_stubs.pb2.LoginRequest(username=given.lower(), password=password),
        timeout=RPC_TIMEOUT_S,
    )
    assert reply.account.username == given.lower()


@pytest.mark.parametrize("demo", sorted(DEMOS))
def test_demo_refuses_a_taken_username_with_a_clear_message(
    demo, accounts, accounts_stub, accounts_stubs, tmp_path
):
    taken = unique_name("taken")
    accounts_stub.Register(
        accounts_stubs.pb2.RegisterRequest(username=taken, password=new_password()),
        timeout=RPC_TIMEOUT_S,
    )
    password = new_password()

    result = run_demo(demo, accounts.addr, taken, password=password, cwd=tmp_path)

    assert result.returncode != 0, result.stdout
    assert result.stdout == "", result.stdout
    assert "register failed: ALREADY_EXISTS" in result.stderr, result.stderr
    assert password not in result.stderr


@pytest.mark.parametrize("demo", sorted(DEMOS))
def test_demo_asks_whether_the_service_runs_when_nothing_listens(demo, unused_addr, tmp_path):
    result = run_demo(demo, unused_addr, password=new_password(), cwd=tmp_path)

    assert result.returncode != 0, result.stdout
    assert result.stdout == "", result.stdout
    assert f"is the accounts service running at {unused_addr}?" in result.stderr, result.stderr


# --- the contract, with grpcio ----------------------------------------------


@pytest.fixture
def accounts_stub(accounts_stubs, channels, accounts):
    return accounts_stubs.pb2_grpc.AccountsStub(channels(accounts))


@pytest.fixture
def pb2(accounts_stubs):
    return accounts_stubs.pb2


def register(stub, pb2, username: str, password: str):
    return stub.Register(
        pb2.RegisterRequest(username=username, password=password), timeout=RPC_TIMEOUT_S
    )


def login(stub, pb2, username: str, password: str):
    return stub.Login(pb2.LoginRequest(username=username, password=password), timeout=RPC_TIMEOUT_S)


def who_am_i(stub, pb2, token: str, metadata=()):
    return stub.WhoAmI(pb2.WhoAmIRequest(token=token), metadata=metadata, timeout=RPC_TIMEOUT_S)


def logout(stub, pb2, token: str):
    return stub.Logout(pb2.LogoutRequest(token=token), timeout=RPC_TIMEOUT_S)


def test_register_login_whoami_logout_round_trip(accounts_stub, pb2):
    username, password = unique_name("round_trip"), new_password()
    before = time.time()

    account = register(accounts_stub, pb2, username, password).account
    assert account.username == username
    uuid.UUID(account.id)
    assert before - 2 <= account.created_at.seconds <= time.time() + 2, account

    session = login(accounts_stub, pb2, username, password)
    assert session.token
    assert session.account == account
    assert session.expires_at.seconds > time.time(), session.expires_at

    me = who_am_i(accounts_stub, pb2, session.token)
    assert me.account == account
    assert me.expires_at.ToNanoseconds() >= session.expires_at.ToNanoseconds()

    assert logout(accounts_stub, pb2, session.token) == pb2.LogoutReply()
    expect_error(lambda: who_am_i(accounts_stub, pb2, session.token), UNAUTHENTICATED)


def test_each_login_starts_its_own_session(accounts_stub, pb2):
    username, password = unique_name("two_sessions"), new_password()
    register(accounts_stub, pb2, username, password)
    first = login(accounts_stub, pb2, username, password).token
    second = login(accounts_stub, pb2, username, password).token
    assert first != second

    logout(accounts_stub, pb2, first)

    expect_error(lambda: who_am_i(accounts_stub, pb2, first), UNAUTHENTICATED)
    assert who_am_i(accounts_stub, pb2, second).account.username == username


def test_a_taken_username_is_already_exists(accounts_stub, pb2):
    username = unique_name("taken")
    register(accounts_stub, pb2, username, new_password())

    expect_error(
        lambda: register(accounts_stub, pb2, username, new_password()),
        grpc.StatusCode.ALREADY_EXISTS,
    )
    # Upper case is folded, so the same name in capitals is the same name.
    expect_error(
        lambda: register(accounts_stub, pb2, username.upper(), new_password()),
        grpc.StatusCode.ALREADY_EXISTS,
    )


def test_a_username_is_folded_to_lower_case(accounts_stub, pb2):
    given, password = unique_name("MiXeD_Case"), new_password()

    account = register(accounts_stub, pb2, given, password).account

    assert account.username == given.lower()
    assert login(accounts_stub, pb2, given, password).account == account
    assert login(accounts_stub, pb2, given.lower(), password).account == account


def test_unknown_user_and_wrong_password_get_the_same_unauthenticated(accounts_stub, pb2):
    username = unique_name("known")
    register(accounts_stub, pb2, username, new_password())

    wrong_password = expect_error(
        lambda: login(accounts_stub, pb2, username, new_password()), UNAUTHENTICATED
    )
    unknown_user = expect_error(
        lambda: login(accounts_stub, pb2, unique_name("nobody"), new_password()), UNAUTHENTICATED
    )

    # Nothing tells a caller whether the name exists.
    assert wrong_password.details() == unknown_user.details()
    assert "wrong username or password" in wrong_password.details(), wrong_password.details()


@pytest.mark.parametrize(
    "username, password",
    [
        pytest.param("ab", "password-ok", id="2-char-username"),
        pytest.param("a" * 33, "password-ok", id="33-char-username"),
        pytest.param("no spaces", "password-ok", id="username-with-a-space"),
        pytest.param("semi;colon", "password-ok", id="username-with-a-semicolon"),
        pytest.param("", "password-ok", id="empty-username"),
        pytest.param(None, "1234567", id="7-byte-password"),
        pytest.param(None, "ééé1", id="7-byte-password-of-4-chars"),
        pytest.param(None, "", id="empty-password"),
        pytest.param(None, "x" * 1025, id="1025-byte-password"),
    ],
)
def test_register_rejects_a_bad_username_or_password(accounts_stub, pb2, username, password):
    bad_password = username is None
    username = unique_name("valid") if bad_password else username

    expect_error(lambda: register(accounts_stub, pb2, username, password), INVALID_ARGUMENT)
    if bad_password:
        # Nothing was created: the valid name is still free.
        assert register(accounts_stub, pb2, username, new_password()).account.username == username


@pytest.mark.parametrize(
    "password",
    [
        pytest.param("éééé", id="8-bytes-of-4-chars"),
        pytest.param("x" * 1024, id="1024-bytes"),
    ],
)
def test_password_length_counts_bytes(accounts_stub, pb2, password):
    username = unique_name("bytes")

    register(accounts_stub, pb2, username, password)

    assert login(accounts_stub, pb2, username, password).token


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("garbage", id="garbage"),
        pytest.param("", id="missing"),
        pytest.param("!" * 64, id="not-an-encoding"),
        pytest.param(secrets.token_urlsafe(32), id="well-formed-unknown-base64url"),
        pytest.param(secrets.token_hex(32), id="well-formed-unknown-hex"),
    ],
)
def test_whoami_with_a_bad_token_is_unauthenticated(accounts_stub, pb2, token):
    expect_error(lambda: who_am_i(accounts_stub, pb2, token), UNAUTHENTICATED)


def test_whoami_reads_a_bearer_token_when_the_field_is_empty(accounts_stub, pb2):
    username, password = unique_name("bearer"), new_password()
    register(accounts_stub, pb2, username, password)
    session = login(accounts_stub, pb2, username, password)

    me = who_am_i(accounts_stub, pb2, "", metadata=(("authorization", f"Bearer {session.token}"),))

    assert me.account == session.account
    expect_error(
        lambda: who_am_i(accounts_stub, pb2, "", metadata=(("authorization", "Bearer garbage"),)),
        UNAUTHENTICATED,
    )
    logout(accounts_stub, pb2, session.token)
    expect_error(
        lambda: who_am_i(
            accounts_stub, pb2, "", metadata=(("authorization", f"Bearer {session.token}"),)
        ),
        UNAUTHENTICATED,
    )


def test_logout_is_idempotent(accounts_stub, pb2):
    username, password = unique_name("logout"), new_password()
    register(accounts_stub, pb2, username, password)
    token = login(accounts_stub, pb2, username, password).token

    assert logout(accounts_stub, pb2, token) == pb2.LogoutReply()
    assert logout(accounts_stub, pb2, token) == pb2.LogoutReply()
    assert logout(accounts_stub, pb2, secrets.token_urlsafe(32)) == pb2.LogoutReply()


def test_repeated_failed_logins_are_throttled_with_retry_after(accounts_stub, pb2):
    username, password = unique_name("throttled"), new_password()
    register(accounts_stub, pb2, username, password)

    failures = 0
    throttled = None
    while throttled is None and failures < MAX_FAILED_LOGINS:
        try:
            login(accounts_stub, pb2, username, new_password())
            pytest.fail("a wrong password logged in")
        except grpc.RpcError as error:
            if error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED:
                throttled = error
            else:
                assert error.code() == UNAUTHENTICATED, (error.code(), error.details())
                failures += 1
    assert throttled is not None, f"{failures} failed logins and still not RESOURCE_EXHAUSTED"
    assert failures >= 1, "throttled before any failure"

    retry_after = [v for k, v in throttled.trailing_metadata() or () if k == "retry-after"]
    assert len(retry_after) == 1 and retry_after[0].isdigit(), throttled.trailing_metadata()
    assert int(retry_after[0]) > 0, retry_after
    assert retry_after[0] in throttled.details(), (retry_after, throttled.details())
