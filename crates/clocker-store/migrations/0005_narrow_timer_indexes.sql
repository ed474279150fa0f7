-- Each index holds only the rows its queries read, so a set writes fewer
-- index pages: an anonymous timer (owner_id NULL) is in no owner index and
-- its events in no owner range; an owned timer (client_addr NULL) is in no
-- address index. Every query that reads these indexes names a value
-- (`owner_id = $1`), which implies IS NOT NULL, so both SQLite and
-- PostgreSQL still use them.

DROP INDEX timers_by_owner;
CREATE INDEX timers_by_owner ON timers (owner_id, created_at_ms)
    WHERE owner_id IS NOT NULL;

DROP INDEX timers_pending_by_owner;
CREATE INDEX timers_pending_by_owner ON timers (owner_id)
    WHERE state = 'pending' AND owner_id IS NOT NULL;

DROP INDEX timers_pending_by_addr;
CREATE INDEX timers_pending_by_addr ON timers (client_addr)
    WHERE state = 'pending' AND client_addr IS NOT NULL;

DROP INDEX timer_events_by_owner;
CREATE INDEX timer_events_by_owner ON timer_events (timer_owner_id, seq)
    WHERE timer_owner_id IS NOT NULL;
