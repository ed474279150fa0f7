-- Idempotency keys (issue 15, finding 5): a write retried with the key of an
-- earlier one gets the earlier one's result instead of being done twice.
-- A key belongs to a scope (an account, or an anonymous client's address)
-- and remembers what the request was, so reusing it for another request is
-- refused; it is kept for a day.
CREATE TABLE idempotency_keys (
    -- 'account:<id>' or 'address:<ip>', and what is written ('timer', ...).
    scope         TEXT   NOT NULL,
    -- The client's key (at most 128 bytes).
    idem_key      TEXT   NOT NULL,
    -- The request it was first used for, canonically written.
    fingerprint   TEXT   NOT NULL,
    -- What that request produced (a timer's or an account's id).
    result        TEXT   NOT NULL,
    created_at_ms BIGINT NOT NULL,
    PRIMARY KEY (scope, idem_key)
);

CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at_ms);
