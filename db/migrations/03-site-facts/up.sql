-- Facts fixed when the database is first used, which later processes must
-- not change by running with other settings: `tag_authority`, the host every
-- release id (tag:AUTHORITY,DATE:…) is minted under.
CREATE TABLE site_facts (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
