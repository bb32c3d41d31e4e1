-- Sign-in with OpenID Connect: identities linked to accounts, and sign-ins in progress.
CREATE TABLE identities (
    issuer     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    email      TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX identities_user ON identities(user_id);

-- One row per started sign-in, keyed by the SHA-256 of its state; taken (deleted) once.
CREATE TABLE oidc_logins (
    state_hash TEXT PRIMARY KEY,
    verifier   TEXT NOT NULL,
    nonce      TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
