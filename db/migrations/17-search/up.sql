-- Full-text search over published releases (src/store/search.rs says how;
-- retracted ones are indexed too, never found, for search feeds' validators).
-- A contentless FTS5 table: the index without a second copy of the text.
-- Its rowid is the release's search_key, published_at (ms) * 2^20 plus the
-- id modulo 2^20, so matches are read newest first without sorting.
-- The text is folded in Rust (pressfeed_search_text, registered on every
-- pressfeed connection), so tokens are only split here, never changed.
ALTER TABLE releases ADD COLUMN search_key INTEGER;
CREATE UNIQUE INDEX releases_search_key ON releases (search_key) WHERE search_key IS NOT NULL;
CREATE VIRTUAL TABLE release_search USING fts5 (
    doc,
    content = '',
    contentless_delete = 1,
    tokenize = "unicode61 remove_diacritics 0 categories 'L* N* Co Mc Me'"
);
UPDATE releases SET search_key = published_at * 1048576 + (id % 1048576) WHERE status IN ('published', 'retracted');
INSERT INTO release_search (rowid, doc)
    SELECT search_key, pressfeed_search_text(title, summary, body_html)
      FROM releases WHERE search_key IS NOT NULL;
-- Terms held in memory before a segment is written (default 1 MB): bulk
-- imports write fewer, larger segments and merge less.
INSERT INTO release_search (release_search, rank) VALUES ('hashsize', 8388608);
