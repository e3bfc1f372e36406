-- Renditions of images (README "Attachments", *Renditions*): smaller
-- copies made at upload for pages' srcset, stored in the media folder by
-- their own SHA-256 like every file. A rendition is served while its
-- source image is; it goes with its source's row.
CREATE TABLE media_renditions (
    source  TEXT    NOT NULL REFERENCES media (sha256) ON DELETE CASCADE,
    width   INTEGER NOT NULL,
    height  INTEGER NOT NULL,
    sha256  TEXT    NOT NULL CHECK (length(sha256) = 64),
    mime    TEXT    NOT NULL,
    length  INTEGER NOT NULL,
    PRIMARY KEY (source, width)
) WITHOUT ROWID;
CREATE INDEX media_renditions_sha256 ON media_renditions (sha256);
