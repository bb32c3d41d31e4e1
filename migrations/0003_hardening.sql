-- Limits every server shares: sign-in and sign-up attempts (GCRA: one "theoretical
-- arrival time" per key, in epoch ms), spoken deletions waiting for their "yes",
-- invitations, and each user's storage quota.
CREATE TABLE rate_limits (
    key TEXT PRIMARY KEY,
    tat BIGINT NOT NULL
);

CREATE TABLE voice_pending (
    session_hash TEXT PRIMARY KEY REFERENCES sessions(token_hash) ON DELETE CASCADE,
    action       TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);

-- Single-use invitation links (GALLERY_SIGNUP=invite); only the token's SHA-256 is kept.
CREATE TABLE invitations (
    id         TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    created_by TEXT REFERENCES users(id) ON DELETE SET NULL,
    note       TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT,
    used_by    TEXT REFERENCES users(id) ON DELETE SET NULL
);

-- NULL: the server's default (GALLERY_DEFAULT_QUOTA_BYTES, unlimited when unset).
ALTER TABLE users ADD COLUMN quota_bytes BIGINT;

-- The quota check sums a user's bytes from the index alone.
CREATE INDEX images_owner_bytes ON images(owner_id, bytes);
