-- Every status change of a monitor rewrites its status_monitor row (status, since, last event), and
-- every container event its container row (state, times): none of those columns is indexed, so an
-- update can stay on its page with no new index entry (HOT) when the page has room. Full pages made
-- 92 % of the status updates and 26 % of the container updates of a burst of container events move
-- their row and add index entries; at half-full pages 99 % stay. One row per monitor or container:
-- the space costs little.
ALTER TABLE status_monitor SET (fillfactor = 50);
ALTER TABLE container SET (fillfactor = 50);
