-- Accounts for a real service (issue 32): verified email, single-use links (verify, reset,
-- change of email, the second step of a sign-in), two-step sign-in, the list of sessions,
-- personal access tokens, and the mail outbox.

-- When the owner proved the address is theirs (a link opened, or the OpenID provider
-- vouching for it); NULL: not yet.
ALTER TABLE users ADD COLUMN email_verified_at BIGINT;
UPDATE users SET email_verified_at = created_at WHERE id IN (SELECT user_id FROM identities);
-- TOTP (RFC 6238): the base32 secret once confirmed, and the last time step used, so that
-- a code works once.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_pending TEXT;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;

-- Sessions get a public id (the list of where one is signed in), where and what they came
-- from, and when they were last used. A personal access token is an `api` session with a
-- name and a scope (`read` or `write`).
ALTER TABLE sessions ADD COLUMN id TEXT;
ALTER TABLE sessions ADD COLUMN user_agent TEXT;
ALTER TABLE sessions ADD COLUMN address TEXT;
ALTER TABLE sessions ADD COLUMN last_seen_at BIGINT;
ALTER TABLE sessions ADD COLUMN name TEXT;
ALTER TABLE sessions ADD COLUMN scope TEXT NOT NULL DEFAULT 'write';
UPDATE sessions SET id = substr(token_hash, 1, 32), last_seen_at = created_at;
CREATE UNIQUE INDEX sessions_id ON sessions(id);

-- Single-use links and steps: only the token's SHA-256 is kept. `purpose` is `verify`,
-- `reset`, `email` (a change of address to `email`) or `second-step`. Issuing one ends the
-- account's earlier ones of the same purpose.
CREATE TABLE account_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL,
    email      TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX account_tokens_user ON account_tokens(user_id, purpose);

-- Ten single-use recovery codes per account with two-step sign-in, kept hashed.
CREATE TABLE recovery_codes (
    user_id   TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    PRIMARY KEY (user_id, code_hash)
);

-- Mail waiting to be sent: a durable queue with a lease and retries, so that a mail server
-- that is down delays mail and never a page.
CREATE TABLE mail_outbox (
    id          TEXT PRIMARY KEY,
    recipient   TEXT NOT NULL,
    subject     TEXT NOT NULL,
    text_body   TEXT NOT NULL,
    html_body   TEXT NOT NULL,
    attempts    BIGINT NOT NULL DEFAULT 0,
    run_after   BIGINT NOT NULL,
    lease_until BIGINT,
    last_error  TEXT,
    failed_at   BIGINT,
    created_at  BIGINT NOT NULL
);
CREATE INDEX mail_outbox_due ON mail_outbox(run_after);

-- Passkeys (WebAuthn): each a credential of one account, kept as webauthn-rs serialises it
-- (its public key and counter), found by its credential id.
CREATE TABLE passkeys (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    credential_id TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    passkey       TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    last_used_at  BIGINT
);
CREATE INDEX passkeys_user ON passkeys(user_id);

-- A WebAuthn ceremony under way: its challenge state until it is finished (once) or it
-- expires. `user_id` is NULL for a sign-in with a passkey alone (the passkey names the
-- account); `kind` is `register`, `sign-in` or `second-step`.
CREATE TABLE webauthn_challenges (
    id         TEXT PRIMARY KEY,
    user_id    TEXT REFERENCES users(id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    state      TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
