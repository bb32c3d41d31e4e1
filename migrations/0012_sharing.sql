-- Sharing (issue 33): a folder, with everything below it, shared with people by address.
-- A share names an address (lower case); `user_id` is the account it reached: set when an
-- account whose address is verified has it (at once, or when such an account appears).
-- Until then the share is pending and gives nothing to anyone.
CREATE TABLE folder_shares (
    folder_id  TEXT NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
    email      TEXT NOT NULL,
    user_id    TEXT REFERENCES users(id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('viewer', 'contributor')),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (folder_id, email)
);
CREATE INDEX folder_shares_user ON folder_shares(user_id, folder_id);
CREATE INDEX folder_shares_email ON folder_shares(email) WHERE user_id IS NULL;

-- A shared folder's photos are listed by folder whoever added them.
CREATE INDEX images_in_folder ON images(folder_id, (COALESCE(taken_at, created_at)), created_at);
CREATE INDEX folders_child ON folders(parent_id);

-- Links for anyone: a folder (and everything below it) or a selection of photos, at
-- `/s/TOKEN`. Only the token's SHA-256 is kept. Revoking deletes the row. Flags are 0 or 1.
CREATE TABLE links (
    id             TEXT PRIMARY KEY,
    token_hash     TEXT NOT NULL UNIQUE,
    owner_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    folder_id      TEXT REFERENCES folders(id) ON DELETE CASCADE,
    expires_at     BIGINT,
    password_hash  TEXT,
    allow_download BIGINT NOT NULL DEFAULT 1,
    hide_place     BIGINT NOT NULL DEFAULT 0,
    opened         BIGINT NOT NULL DEFAULT 0,
    created_at     BIGINT NOT NULL
);
CREATE INDEX links_owner ON links(owner_id, created_at);
CREATE INDEX links_folder ON links(folder_id);

-- The photos of a link made for a selection.
CREATE TABLE link_images (
    link_id  TEXT NOT NULL REFERENCES links(id) ON DELETE CASCADE,
    image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    PRIMARY KEY (link_id, image_id)
);
CREATE INDEX link_images_image ON link_images(image_id);
