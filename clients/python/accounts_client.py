"""A Python client of the Clocker accounts service (``clocker.v1.Accounts``).

The stubs are generated from ``proto/clocker/v1/accounts.proto`` with
``grpc_tools.protoc`` into ``compiled_protos/`` beside this file, on first use
and again whenever the .proto is newer than them; nothing generated is
committed. Usage::

    from accounts_client import AccountsClient

    with AccountsClient() as accounts:           # $CLOCKER_ACCOUNTS_ADDR or 127.0.0.1:50006
        accounts.register("alice", password)
        session = accounts.login("alice", password)
        me = accounts.who_am_i(session.token)
        accounts.logout(session.token)

A failed call raises ``grpc.RpcError`` (``.code()``, ``.details()``,
``.trailing_metadata()``).
"""

from __future__ import annotations

import importlib
import os
import shutil
import sys
import tempfile
import types
from datetime import datetime, timezone
from pathlib import Path

import grpc
import grpc_tools
from grpc_tools import protoc

DEFAULT_ADDR = "127.0.0.1:50006"
"""Where the service listens when $CLOCKER_ACCOUNTS_ADDR is not set."""

HERE = Path(__file__).resolve().parent
PROTO_ROOT = HERE.parent.parent / "proto"
PROTO = "clocker/v1/accounts.proto"
COMPILED = HERE / "compiled_protos"
GENERATED = ("accounts_pb2.py", "accounts_pb2_grpc.py")


def accounts_addr() -> str:
    """$CLOCKER_ACCOUNTS_ADDR (host:port), else DEFAULT_ADDR."""
    return os.environ.get("CLOCKER_ACCOUNTS_ADDR") or DEFAULT_ADDR


def _stale(proto: Path, outputs: list[Path]) -> bool:
    """Whether any output is missing or older than the proto."""
    try:
        return min(p.stat().st_mtime for p in outputs) < proto.stat().st_mtime
    except FileNotFoundError:
        return True


def generate_stubs(out: Path = COMPILED) -> Path:
    """Runs grpc_tools.protoc for accounts.proto into ``out`` when the stubs
    are missing or older than the proto; returns ``out``.

    Generates into a scratch directory and moves each file into place, so a
    client starting at the same moment never imports a half-written module.
    """
    proto = PROTO_ROOT / PROTO
    target = out / Path(PROTO).parent
    outputs = [target / name for name in GENERATED]
    if not _stale(proto, outputs):
        return out
    if not proto.is_file():
        raise RuntimeError(f"{proto} not found (run from a Clocker checkout)")
    # google/protobuf/timestamp.proto: the copy grpc_tools ships.
    well_known = Path(grpc_tools.__file__).resolve().parent / "_proto"
    out.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".generating-", dir=out))
    try:
        status = protoc.main([
            "grpc_tools.protoc",
            f"--proto_path={PROTO_ROOT}",
            f"--proto_path={well_known}",
            f"--python_out={scratch}",
            f"--grpc_python_out={scratch}",
            str(proto),
        ])
        if status != 0:
            raise RuntimeError(f"grpc_tools.protoc failed on {proto} (status {status})")
        target.mkdir(parents=True, exist_ok=True)
        for name in GENERATED:
            os.replace(scratch / Path(PROTO).parent / name, target / name)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return out


def load_stubs() -> types.SimpleNamespace:
    """The generated modules, as ``pb2`` (messages) and ``pb2_grpc`` (stub)."""
    out = str(generate_stubs())
    if out not in sys.path:
        sys.path.insert(0, out)
    return types.SimpleNamespace(
        pb2=importlib.import_module("clocker.v1.accounts_pb2"),
        pb2_grpc=importlib.import_module("clocker.v1.accounts_pb2_grpc"),
    )


def timestamp_to_iso(timestamp) -> str | None:
    """A google.protobuf.Timestamp as ISO 8601 UTC with milliseconds
    (``2026-03-08T06:59:59.950Z``, as JavaScript's toISOString), or None
    when unset."""
    if timestamp is None:
        return None
    whole = datetime.fromtimestamp(timestamp.seconds, timezone.utc)
    return f"{whole:%Y-%m-%dT%H:%M:%S}.{timestamp.nanos // 1_000_000:03d}Z"


def retry_after_seconds(error: grpc.RpcError) -> int | None:
    """The ``retry-after`` metadata (seconds) of a RESOURCE_EXHAUSTED error."""
    for key, value in error.trailing_metadata() or ():
        if key == "retry-after":
            return int(value)
    return None


class AccountsClient:
    """A client of the accounts service at ``addr`` (insecure channel).

    Every call has a deadline of ``timeout`` seconds and fails fast
    (UNAVAILABLE) when nothing listens at ``addr``.
    """

    def __init__(self, addr: str | None = None, timeout: float = 5.0) -> None:
        self.addr = addr or accounts_addr()
        self.timeout = timeout
        self.stubs = load_stubs()
        self._channel = grpc.insecure_channel(self.addr)
        self._stub = self.stubs.pb2_grpc.AccountsStub(self._channel)

    def register(self, username: str, password: str):
        """Creates an account; returns the RegisterReply (``.account``)."""
        request = self.stubs.pb2.RegisterRequest(username=username, password=password)
        return self._stub.Register(request, timeout=self.timeout)

    def login(self, username: str, password: str):
        """Starts a session; returns the LoginReply (``.token``, ``.expires_at``, ``.account``)."""
        request = self.stubs.pb2.LoginRequest(username=username, password=password)
        return self._stub.Login(request, timeout=self.timeout)

    def logout(self, token: str):
        """Ends a session (idempotent)."""
        return self._stub.Logout(self.stubs.pb2.LogoutRequest(token=token), timeout=self.timeout)

    def who_am_i(self, token: str, bearer: bool = False):
        """The session's account (``.account``, ``.expires_at``). With
        ``bearer`` the token goes in ``authorization: Bearer`` metadata
        instead of the request field."""
        if bearer:
            return self._stub.WhoAmI(
                self.stubs.pb2.WhoAmIRequest(),
                metadata=(("authorization", f"Bearer {token}"),),
                timeout=self.timeout,
            )
        return self._stub.WhoAmI(self.stubs.pb2.WhoAmIRequest(token=token), timeout=self.timeout)

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> AccountsClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
