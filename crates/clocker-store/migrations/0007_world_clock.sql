-- A world clock on each account (issue 19): the time zones its owner keeps,
-- in the order set, as canonical IANA names separated by newlines (a zone
-- name never holds one); empty for none, which is what a new account has.
-- One column, written by one UPDATE: two sets at once end with one of them
-- whole, never a mix.
ALTER TABLE accounts ADD COLUMN world_clock TEXT NOT NULL DEFAULT '';
