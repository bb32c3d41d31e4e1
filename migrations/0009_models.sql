-- Models of one's own (issue 19): classifiers an admin registers, stored like photos
-- (`key` is the folder in storage with model.json, labels.json and model.onnx). The
-- gallery's own model is not a row: it is the `default` every folder ends at.
CREATE TABLE models (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    input_size INTEGER NOT NULL,
    classes INTEGER NOT NULL,
    bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    storage_key TEXT NOT NULL,
    check_ms DOUBLE PRECISION NOT NULL,
    created_by TEXT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX models_name ON models(lower(name));
-- A folder's classifier (NULL: its parent's; `default`: the gallery's own), and which
-- classifier made each photo's labels.
ALTER TABLE folders ADD COLUMN model_id TEXT;
ALTER TABLE images ADD COLUMN model TEXT;
