-- Countdown timers (seed 002) and the events watchers replay.
--
-- A timer is pending until it fires or is cancelled; the move out of
-- 'pending' is one conditional UPDATE, so it happens once even when a
-- crashed service fires the same timers again at start-up.

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
    ended_at_ms     BIGINT
);

-- Partial: pending timers by due time, for the start-up load. (An index
-- on (state, ...) would tempt planners away from the primary key when
-- ending a batch of timers by id.)
CREATE INDEX timers_pending_by_due ON timers (fires_at_ms, id) WHERE state = 'pending';
CREATE INDEX timers_by_owner ON timers (owner_id, created_at_ms);

CREATE TABLE timer_events (
    -- Gapless, assigned by the timer service in order.
    seq      BIGINT PRIMARY KEY,
    timer_id TEXT   NOT NULL REFERENCES timers (id) ON DELETE CASCADE,
    -- 'set', 'fired' or 'cancelled'.
    kind     TEXT   NOT NULL,
    at_ms    BIGINT NOT NULL
);
