-- Bounds on anonymous state (issue 14, finding 8): quotas of pending timers
-- per account and per anonymous client address, replay that reads only the
-- caller's own events through an index, and retention of ended timers.

-- The address an anonymous timer was set from (its quota's key); NULL for
-- owned timers (their key is owner_id).
ALTER TABLE timers ADD COLUMN client_addr TEXT;

-- The event's timer's owner, copied so a watcher's replay is one index range
-- (owner, seq) instead of a scan of every event joined to its timer.
ALTER TABLE timer_events ADD COLUMN timer_owner_id TEXT;
UPDATE timer_events SET timer_owner_id =
    (SELECT owner_id FROM timers WHERE timers.id = timer_events.timer_id);

CREATE INDEX timer_events_by_owner ON timer_events (timer_owner_id, seq);
CREATE INDEX timer_events_by_timer ON timer_events (timer_id, seq);
-- Quotas count pending timers per account and per anonymous address.
CREATE INDEX timers_pending_by_owner ON timers (owner_id) WHERE state = 'pending';
CREATE INDEX timers_pending_by_addr ON timers (client_addr) WHERE state = 'pending';
-- Retention finds ended timers by when they ended.
CREATE INDEX timers_ended ON timers (ended_at_ms) WHERE state <> 'pending';

-- One row: the highest event number retention has deleted. A watcher asking
-- to replay from before it is told that events were dropped.
CREATE TABLE timer_retention (
    id          INTEGER PRIMARY KEY,
    dropped_seq BIGINT  NOT NULL
);

INSERT INTO timer_retention (id, dropped_seq) VALUES (1, 0);
