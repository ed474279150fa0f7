-- Accounts and their sessions (seed 003).
--
-- Portable between SQLite and PostgreSQL: ids and hashes are TEXT, instants
-- are BIGINT milliseconds since the Unix epoch (UTC).

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
