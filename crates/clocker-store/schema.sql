-- The whole schema in one file, for reading and for setting up a database by
-- hand (psql -f schema.sql). The service applies migrations/ at start-up
-- instead; a test checks that both give the same tables, columns and indexes.

CREATE TABLE accounts (
    id            TEXT   PRIMARY KEY,
    -- Case-folded to lower case before it is stored, so UNIQUE is case-blind.
    username      TEXT   NOT NULL UNIQUE,
    -- An argon2id PHC string: algorithm, parameters, salt and hash.
    password_hash TEXT   NOT NULL,
    created_at_ms BIGINT NOT NULL
);

CREATE TABLE sessions (
    -- Hex SHA-256 of the token the client holds; the token itself is never stored.
    token_sha256  TEXT   PRIMARY KEY,
    account_id    TEXT   NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at_ms BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL
);

CREATE INDEX sessions_by_account ON sessions (account_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at_ms);

-- Countdown timers (seed 002) and the events watchers replay.

CREATE TABLE timers (
    id              TEXT   PRIMARY KEY,
    -- The account that set it (from its session); NULL for anonymous timers.
    owner_id        TEXT,
    label           TEXT   NOT NULL,
    -- The duration as requested, field by field (the reply echoes them).
    hours           BIGINT NOT NULL,
    minutes         BIGINT NOT NULL,
    seconds         BIGINT NOT NULL,
    created_at_ms   BIGINT NOT NULL,
    fires_at_ms     BIGINT NOT NULL,
    -- 'pending', 'fired' or 'cancelled'.
    state           TEXT   NOT NULL,
    -- When it fired or was cancelled.
    ended_at_ms     BIGINT,
    -- The address an anonymous timer was set from (its quota's key).
    client_addr     TEXT
);

-- Partial: pending timers by due time, for the start-up load. (An index
-- on (state, ...) would tempt planners away from the primary key when
-- ending a batch of timers by id.)
CREATE INDEX timers_pending_by_due ON timers (fires_at_ms, id) WHERE state = 'pending';
-- An account's timers, newest first. Each index holds only the rows its
-- queries read (anonymous timers have no owner, owned ones no address), so
-- a set writes as few index pages as it can.
CREATE INDEX timers_by_owner ON timers (owner_id, created_at_ms)
    WHERE owner_id IS NOT NULL;
-- Quotas count pending timers per account and per anonymous address.
CREATE INDEX timers_pending_by_owner ON timers (owner_id)
    WHERE state = 'pending' AND owner_id IS NOT NULL;
CREATE INDEX timers_pending_by_addr ON timers (client_addr)
    WHERE state = 'pending' AND client_addr IS NOT NULL;
-- Retention finds ended timers by when they ended.
CREATE INDEX timers_ended ON timers (ended_at_ms) WHERE state <> 'pending';

CREATE TABLE timer_events (
    -- Gapless, from timer_sequence, committed in order.
    seq      BIGINT PRIMARY KEY,
    timer_id TEXT   NOT NULL REFERENCES timers (id) ON DELETE CASCADE,
    -- 'set', 'fired' or 'cancelled'.
    kind     TEXT   NOT NULL,
    at_ms    BIGINT NOT NULL,
    -- The timer's owner, so a watcher's replay is one index range.
    timer_owner_id TEXT
);

-- An account's events (owner replay); anonymous timers' events are read by
-- timer id (and the foreign key's cascade needs that index for every row).
CREATE INDEX timer_events_by_owner ON timer_events (timer_owner_id, seq)
    WHERE timer_owner_id IS NOT NULL;
CREATE INDEX timer_events_by_timer ON timer_events (timer_id, seq);

-- One row: the last event number given out. Bumped as the last write of
-- the transaction that writes the events, so numbers commit in order.
CREATE TABLE timer_sequence (
    id       INTEGER PRIMARY KEY,
    last_seq BIGINT  NOT NULL
);

-- One row: the highest event number retention has deleted.
CREATE TABLE timer_retention (
    id          INTEGER PRIMARY KEY,
    dropped_seq BIGINT  NOT NULL
);

-- A write retried with the key of an earlier one gets the earlier one's
-- result (idempotency keys); kept for a day.
CREATE TABLE idempotency_keys (
    -- 'account:<id>' or 'address:<ip>', and what is written ('timer', ...).
    scope         TEXT   NOT NULL,
    idem_key      TEXT   NOT NULL,
    -- The request it was first used for, canonically written.
    fingerprint   TEXT   NOT NULL,
    -- What that request produced (a timer's or an account's id).
    result        TEXT   NOT NULL,
    created_at_ms BIGINT NOT NULL,
    PRIMARY KEY (scope, idem_key)
);

CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at_ms);
