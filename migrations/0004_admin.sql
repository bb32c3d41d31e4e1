-- The admin dashboard: disabled accounts, when each user was last seen, each user's usage
-- kept beside the account (so no figure of the dashboard sums every photo), how long each
-- step of a classification took and where, activity per minute for the charts, the
-- servers' heartbeats and the audit log of admin actions.
ALTER TABLE users ADD COLUMN disabled_at BIGINT;
ALTER TABLE users ADD COLUMN last_seen_at BIGINT;
ALTER TABLE users ADD COLUMN image_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN bytes_used BIGINT NOT NULL DEFAULT 0;
UPDATE users SET
    image_count = (SELECT COUNT(*) FROM images WHERE owner_id = users.id),
    bytes_used = (SELECT COALESCE(SUM(bytes), 0) FROM images WHERE owner_id = users.id);
CREATE INDEX users_created ON users(created_at, id);

-- `local` or `lambda`, and milliseconds per step, for jobs that finished.
ALTER TABLE jobs ADD COLUMN backend TEXT;
ALTER TABLE jobs ADD COLUMN fetch_ms DOUBLE PRECISION;
ALTER TABLE jobs ADD COLUMN prepare_ms DOUBLE PRECISION;
ALTER TABLE jobs ADD COLUMN predict_ms DOUBLE PRECISION;
CREATE INDEX jobs_recent ON jobs(state, updated_at);

-- Events per minute (`minute` = epoch ms / 60000): uploads, classified, failed, and the
-- largest queue depth a server saw in that minute.
CREATE TABLE activity (
    minute BIGINT NOT NULL,
    kind   TEXT NOT NULL,
    n      BIGINT NOT NULL,
    PRIMARY KEY (minute, kind)
);
-- A chart reads one kind's minutes from this index alone.
CREATE INDEX activity_series ON activity(kind, minute, n);

CREATE TABLE servers (
    id         TEXT PRIMARY KEY,
    host       TEXT NOT NULL,
    version    TEXT NOT NULL,
    classifier TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    seen_at    BIGINT NOT NULL
);

CREATE TABLE audit_log (
    id          TEXT PRIMARY KEY,
    at          BIGINT NOT NULL,
    actor_id    TEXT,
    actor_email TEXT NOT NULL,
    action      TEXT NOT NULL,
    target_id   TEXT,
    target      TEXT,
    detail      TEXT
);
CREATE INDEX audit_log_at ON audit_log(at);

-- The last run of each housekeeping task, by any server, for the dashboard.
CREATE TABLE housekeeping (
    task   TEXT PRIMARY KEY,
    ran_at BIGINT NOT NULL,
    result TEXT NOT NULL
);
