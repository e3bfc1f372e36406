-- A release's address is fixed once readers could have seen it, not as soon
-- as it is scheduled: a scheduled release's address may still change.
-- Visibility comes with time, not with a write, so no trigger can see it:
-- slug_locked now means "was public at some write" and the store sets it
-- (and treats a release public right now as locked too).
DROP TRIGGER releases_slug_lock_insert;
DROP TRIGGER releases_slug_lock_update;
-- Releases scheduled before this change were locked when scheduled.
UPDATE releases SET slug_locked = 0
 WHERE status = 'published'
   AND published_at > CAST(unixepoch('subsec') * 1000 AS INTEGER);
