-- Decode once: the viewer's rendition (about 2 048 px on the long side) is made with the
-- thumbnail from the upload's one decode. Photos stored before have none (NULL): they are
-- shown from the original until they get one.
ALTER TABLE images ADD COLUMN display_key TEXT;
ALTER TABLE images ADD COLUMN display_width BIGINT;
ALTER TABLE images ADD COLUMN display_height BIGINT;
CREATE UNIQUE INDEX images_display_key ON images(display_key);
