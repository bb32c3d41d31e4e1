-- Times are epoch milliseconds, ids are text: the sqlx Any driver carries only these.
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    password_hash TEXT,
    role          TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
    created_at    BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('web', 'api')),
    csrf_token  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE folders (
    id         TEXT PRIMARY KEY,
    owner_id   TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    parent_id  TEXT REFERENCES folders(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
-- Names are unique within a parent, ignoring case; the root is the empty parent.
CREATE UNIQUE INDEX folders_unique_name ON folders(owner_id, COALESCE(parent_id, ''), lower(name));
CREATE INDEX folders_parent ON folders(owner_id, parent_id);

CREATE TABLE images (
    id            TEXT PRIMARY KEY,
    owner_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    folder_id     TEXT REFERENCES folders(id) ON DELETE CASCADE,
    filename      TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    bytes         BIGINT NOT NULL,
    width         BIGINT NOT NULL,
    height        BIGINT NOT NULL,
    sha256        TEXT NOT NULL,
    taken_at      BIGINT,
    created_at    BIGINT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'queued'
                  CHECK (status IN ('queued', 'fetching', 'preprocessing', 'predicting', 'done', 'error')),
    status_detail TEXT,
    object_key    TEXT NOT NULL UNIQUE,
    thumb_key     TEXT NOT NULL UNIQUE,
    thumb_width   BIGINT NOT NULL,
    thumb_height  BIGINT NOT NULL
);
CREATE INDEX images_folder ON images(owner_id, folder_id, created_at);

CREATE TABLE image_labels (
    image_id    TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    rank        BIGINT NOT NULL,
    label       TEXT NOT NULL,
    class_index BIGINT NOT NULL,
    score       DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (image_id, rank)
);

-- Durable work queue: a job is claimed by setting a lease; an expired lease is claimable again.
CREATE TABLE jobs (
    id           TEXT PRIMARY KEY,
    image_id     TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    kind         TEXT NOT NULL DEFAULT 'classify',
    state        TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'done', 'error')),
    attempts     BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL DEFAULT 3,
    run_after    BIGINT NOT NULL,
    lease_until  BIGINT,
    locked_by    TEXT,
    last_error   TEXT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX jobs_claim ON jobs(state, run_after);
CREATE INDEX jobs_image ON jobs(image_id);
