"""The accounts flow end to end: register, log in, WhoAmI, log out, and check
that WhoAmI refuses the ended session. One JSON object per step on stdout (the
same lines as clients/node/demo.js); on failure a message on stderr and exit
status 1.

    CLOCKER_ACCOUNTS_ADDR=127.0.0.1:50006 python demo.py [username]

The username defaults to a random ``py_<hex>``; the password comes from
$CLOCKER_PASSWORD or is generated. Neither the password nor the session token
is ever printed (only the token's length).
"""

from __future__ import annotations

import json
import os
import secrets
import sys

import grpc

from accounts_client import AccountsClient, accounts_addr, retry_after_seconds, timestamp_to_iso


def emit(**line) -> None:
    print(json.dumps(line, separators=(",", ":")), flush=True)


def explain(step: str, error: Exception, addr: str, username: str) -> str:
    """Why ``step`` failed, in one line a person can act on."""
    if not isinstance(error, grpc.RpcError):
        return f"{step} failed: {error}"
    code, details = error.code(), error.details()
    if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
        return (
            f"{step} failed: is the accounts service running at {addr}? "
            f"({code.name}: {details}; set CLOCKER_ACCOUNTS_ADDR=host:port to use another address)"
        )
    text = f"{step} failed: {code.name}: {details}"
    if code == grpc.StatusCode.ALREADY_EXISTS:
        text += f"; the username {json.dumps(username)} is taken, pass another one"
    elif code == grpc.StatusCode.RESOURCE_EXHAUSTED:
        wait = retry_after_seconds(error)
        text += f"; retry after {'?' if wait is None else wait} s"
    return text


def account_field(reply, name: str):
    return getattr(reply.account, name) if reply.HasField("account") else None


def run(accounts: AccountsClient, username: str, password: str) -> None:
    """The flow; on failure exits (SystemExit, status 1) naming the step."""
    step = "register"
    try:
        account = accounts.register(username, password).account
        emit(step=step, username=account.username, id=account.id,
             created_at=timestamp_to_iso(account.created_at if account.HasField("created_at") else None))

        step = "login"
        session = accounts.login(username, password)
        emit(step=step, username=account_field(session, "username"), token_length=len(session.token),
             expires_at=timestamp_to_iso(session.expires_at if session.HasField("expires_at") else None))

        step = "whoami"
        me = accounts.who_am_i(session.token)
        emit(step=step, username=account_field(me, "username"), id=account_field(me, "id"),
             expires_at=timestamp_to_iso(me.expires_at if me.HasField("expires_at") else None))

        step = "logout"
        accounts.logout(session.token)
        emit(step=step, ok=True)

        step = "whoami_after_logout"
        try:
            accounts.who_am_i(session.token)
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.UNAUTHENTICATED:
                raise
            emit(step=step, refused=True, code=error.code().name)
            return
        raise RuntimeError("WhoAmI accepted the token after logout (expected UNAUTHENTICATED)")
    except Exception as error:
        raise SystemExit(f"demo: {explain(step, error, accounts.addr, username)}") from error


def main() -> int:
    username = sys.argv[1] if len(sys.argv) > 1 and sys.argv[1] else f"py_{secrets.token_hex(4)}"
    password = os.environ.get("CLOCKER_PASSWORD") or secrets.token_urlsafe(18)
    with AccountsClient(accounts_addr()) as accounts:
        run(accounts, username, password)
    return 0


if __name__ == "__main__":
    sys.exit(main())
