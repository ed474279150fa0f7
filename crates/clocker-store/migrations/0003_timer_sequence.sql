-- Event numbers assigned by the database, so several timer replicas (one
-- scheduling, the others answering requests) can write events on one
-- PostgreSQL without two of them taking the same number.
--
-- One row. A writer bumps it in the transaction that writes its events, as
-- that transaction's last write: the row lock it takes is held until commit,
-- so numbers are committed in order and a reader that sees event N sees
-- every event before it.

CREATE TABLE timer_sequence (
    id       INTEGER PRIMARY KEY,
    last_seq BIGINT  NOT NULL
);

INSERT INTO timer_sequence (id, last_seq) SELECT 1, COALESCE(MAX(seq), 0) FROM timer_events;
