-- Names match whole words (issue 17): each photo keeps its file name's words, lower case,
-- with . _ - ( ) , as spaces and a space at each end (" my cat 2 png "), so that a search
-- matches "% cat %" on a plain column instead of rebuilding the words for every row.
-- Uploads store what search::name_words_of makes; rows from before get the same here.
ALTER TABLE images ADD COLUMN name_words TEXT;
UPDATE images SET name_words = ' ' || replace(replace(replace(replace(replace(replace(lower(filename), '.', ' '), '_', ' '), '-', ' '), '(', ' '), ')', ' '), ',', ' ') || ' ';
