-- soundscape-kiosk cloud schema, migration 9: a pull's pages read in the
-- order of their index whatever the planner believes of the table, and
-- the cursor's test inlined. Same rows, same pages; only each page's cost
-- stops growing with the table.
--
-- Why. A page is "the next @p_limit rows after a position, in (sync_xid,
-- key) order", and every pulled table has an index in that order
-- (migration 6). With statistics the planner walks it and stops after the
-- page. Without them (a table just loaded in bulk, before autovacuum's
-- ANALYZE; PGlite, which has no autovacuum) it takes the table for a few
-- rows and reads every row after the position, builds each one's JSON,
-- then sorts them for the page: a first pull of 100 000 songs read about
-- 5 million rows in its 200 calls, slower page by page. Sorting is turned
-- off for the page's statement, which leaves the index as the only way to
-- the order asked for; nothing else in the statement needs a sort.
--
-- sync_new_in(), the cursor's test on each row read, is plain SQL on its
-- arguments (pg_catalog's functions, named so): without "set search_path"
-- it is inlined into the page's statement instead of being called through
-- the wrapper that sets and restores the setting for each row. It is no
-- security definer, reads no table, and only the functions of this schema
-- call it (EXECUTE is revoked from public); migration 7 says why that is
-- safe. The same for sync_vector_text(), called for each pushed vector.
alter function soundscape.sync_new_in(xid8, pg_snapshot, pg_snapshot) reset search_path;
alter function soundscape.sync_vector_text(float8[]) reset search_path;

alter function soundscape.sync_page(text, text, text, text, text, uuid, uuid, xid8, pg_snapshot,
  pg_snapshot, jsonb, integer) set enable_sort = off;
