-- The Trash (issue 31). A deleted photo or folder keeps its row, marked with when it went
-- (`trashed_at`), until it is restored or purged (GALLERY_TRASH_DAYS later, or "delete
-- forever"). Everything trashed together with a folder carries that folder's id in
-- `trashed_with`, so it comes back with it; a photo or folder trashed by itself carries
-- none. `trashed_from` is the path of the folder it was in ("Trips/Hawaii"), so that a
-- restore can make that folder again when it is gone.
ALTER TABLE images ADD COLUMN trashed_at BIGINT;
ALTER TABLE images ADD COLUMN trashed_with TEXT;
ALTER TABLE images ADD COLUMN trashed_from TEXT;
ALTER TABLE folders ADD COLUMN trashed_at BIGINT;
ALTER TABLE folders ADD COLUMN trashed_with TEXT;
ALTER TABLE folders ADD COLUMN trashed_from TEXT;
CREATE INDEX images_trashed ON images(owner_id, trashed_at) WHERE trashed_at IS NOT NULL;
CREATE INDEX folders_trashed ON folders(owner_id, trashed_at) WHERE trashed_at IS NOT NULL;
-- A name is taken only by a folder that is not in the Trash.
DROP INDEX folders_unique_name;
CREATE UNIQUE INDEX folders_unique_name ON folders(owner_id, COALESCE(parent_id, ''), lower(name))
    WHERE trashed_at IS NULL;

-- What the last deletes and moves changed, so that a toast's Undo (or "undo that") can put
-- it back for a few minutes.
CREATE TABLE undo (
    id         TEXT PRIMARY KEY,
    owner_id   TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    change     TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX undo_owner ON undo(owner_id, created_at);
