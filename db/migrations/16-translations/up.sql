-- Translations. `translation_of` is the release this one was translated
-- from (as typed: import, API, form); `translation_group` is the set all
-- such links join (A→B and C→A make one set), the smallest member id, or
-- NULL for a release with no translation. Pages and feeds read the group;
-- the links are kept so a removed link can split it again and a cycle is
-- refused. Deleting a release is not a thing pressfeed does, so no
-- ON DELETE rule is needed beyond keeping the reference valid.
ALTER TABLE releases ADD COLUMN translation_of INTEGER REFERENCES releases (id);
ALTER TABLE releases ADD COLUMN translation_group INTEGER;
CREATE INDEX releases_translation_group ON releases (translation_group)
    WHERE translation_group IS NOT NULL;
CREATE INDEX releases_translation_of ON releases (translation_of)
    WHERE translation_of IS NOT NULL;
