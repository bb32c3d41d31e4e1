-- Decode once, part 2: each photo is also kept as the classifier sizes it (shorter side
-- 256, bicubic: `input_sizing`), made with the thumbnail and the viewer's rendition from
-- the upload's one decode. A job reads it instead of the original when `source` says so
-- (an upload's first classification); classifying again reads the original. Photos
-- stored before have none (NULL), and their jobs read the original.
ALTER TABLE images ADD COLUMN input_key TEXT;
ALTER TABLE images ADD COLUMN input_sizing TEXT;
CREATE UNIQUE INDEX images_input_key ON images(input_key);
ALTER TABLE jobs ADD COLUMN source TEXT NOT NULL DEFAULT 'original';
