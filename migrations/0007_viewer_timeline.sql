-- The viewer's info panel shows the camera and lens from EXIF (Make and Model, LensMake
-- and LensModel), read at upload; photos stored before have none (NULL). The timeline
-- lists all of one's photos by date taken (the upload date when unknown), newest first:
-- the index serves its pages and its month counts.
ALTER TABLE images ADD COLUMN camera TEXT;
ALTER TABLE images ADD COLUMN lens TEXT;
CREATE INDEX images_owner_taken ON images(owner_id, (COALESCE(taken_at, created_at)), created_at);
