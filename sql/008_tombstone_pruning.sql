-- soundscape-kiosk cloud schema, migration 8: tombstones are pruned once
-- they are older than a horizon, and a kiosk whose cursor is older than
-- the newest tombstone pruned is told so (SK412) instead of missing the
-- deletions it recorded: it pulls everything again and drops what the pull
-- no longer has (docs/DESIGN.md, "Cloud", "Pruning tombstones").

-- The horizon (a manager may change it: "update
-- soundscape.tombstone_pruning set horizon = '60 days'") and what the last
-- pruning removed: every tombstone pruned was written by a transaction at
-- or before pruned_through.
create table soundscape.tombstone_pruning (
  one boolean primary key default true check (one),
  horizon interval not null default interval '30 days' check (horizon >= interval '1 hour'),
  pruned_through xid8 not null default '0'::xid8,
  pruned_at timestamptz
);
insert into soundscape.tombstone_pruning default values;

create index tombstones_deleted_at on soundscape.tombstones (deleted_at);

-- kiosk_sync and the pruning exclude each other through this advisory
-- lock (kiosk_sync shares it, pruning takes it alone): a call reads the
-- tombstones and pruned_through either both before a pruning or both
-- after it, never the tombstones after and pruned_through before.
create function soundscape.tombstone_lock_key ()
returns bigint
language sql
immutable
set search_path = ''
as $$
  select 7301460230563012608::bigint
$$;

-- Removes the tombstones older than the horizon; returns how many.
create function soundscape.prune_tombstones ()
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_horizon interval;
  v_through xid8;
  n integer;
begin
  perform pg_catalog.pg_advisory_xact_lock(soundscape.tombstone_lock_key());
  select p.horizon into v_horizon from soundscape.tombstone_pruning p for update;
  with gone as (
    delete from soundscape.tombstones t
    where t.deleted_at < pg_catalog.now() - v_horizon
    returning t.sync_xid)
  select pg_catalog.count(*)::integer, pg_catalog.max(g.sync_xid) into n, v_through from gone g;
  if n > 0 then
    update soundscape.tombstone_pruning
      set pruned_through = greatest(pruned_through, v_through), pruned_at = pg_catalog.now();
  end if;
  return n;
end;
$$;

-- TRUE when the pull from @p_cursor (kiosk_sync's) would need a tombstone
-- that was pruned: one written by a transaction that the cursor's snapshot
-- "s" does not see. Every pruned one is at or before pruned_through, so a
-- snapshot whose oldest running transaction comes after it sees them all.
-- A first pull (no cursor, or "s" null while it pages) needs none.
create function soundscape.sync_cursor_behind (p_cursor jsonb)
returns boolean
language plpgsql
stable
set search_path = ''
as $$
begin
  if p_cursor is null or pg_catalog.jsonb_typeof(p_cursor) <> 'object'
     or not soundscape.sync_snapshot_ok(p_cursor -> 's') then
    return false;
  end if;
  return (select p.pruned_through from soundscape.tombstone_pruning p)
         >= pg_catalog.pg_snapshot_xmin((p_cursor ->> 's')::pg_snapshot);
end;
$$;

-- kiosk_sync as migration 6 made it becomes soundscape.sync_call, and
-- kiosk_sync checks the cursor against the pruning around it. A later
-- migration that changes the call changes soundscape.sync_call and leaves
-- this wrapper alone.
alter function public.kiosk_sync (text, jsonb, jsonb) set schema soundscape;
alter function soundscape.kiosk_sync (text, jsonb, jsonb) rename to sync_call;
revoke all on function soundscape.sync_call (text, jsonb, jsonb) from public, anon, authenticated,
  service_role;

-- The kiosk API (docs/DESIGN.md, "The kiosk API"). The call runs first, so
-- its own codes (PT403, SK410, SK411, SK413) come before SK412; SK412
-- rolls the whole call back, push included, as every call code does.
create function public.kiosk_sync (p_token text, p_push jsonb, p_cursor jsonb)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  answer jsonb;
begin
  perform pg_catalog.pg_advisory_xact_lock_shared(soundscape.tombstone_lock_key());
  answer := soundscape.sync_call(p_token, p_push, p_cursor);
  if soundscape.sync_cursor_behind(p_cursor) then
    raise exception 'the cursor is older than the oldest deletion the cloud keeps'
      using errcode = 'SK412',
            hint = 'pull again from the start and drop the rows that pull does not bring';
  end if;
  return answer;
end;
$$;

revoke all on function public.kiosk_sync (text, jsonb, jsonb) from public;
grant execute on function public.kiosk_sync (text, jsonb, jsonb) to anon, authenticated, service_role;
revoke all on all functions in schema soundscape from public;
grant execute on function soundscape.has_role (text) to anon, authenticated;

-- Once a day with pg_cron 1.5 or later (as refresh_player_queues);
-- elsewhere, a notice and no schedule (call it yourself).
do $$
declare
  v text := (select default_version from pg_catalog.pg_available_extensions
             where name = 'pg_cron');
begin
  if v is not null and string_to_array(v, '.')::int[] >= array[1, 5] then
    create extension if not exists pg_cron;
    perform cron.schedule('prune-tombstones', '17 3 * * *', 'select soundscape.prune_tombstones()');
  else
    raise notice 'pg_cron 1.5 or later is not available (%): prune_tombstones() is not scheduled',
      coalesce(v, 'none');
  end if;
end;
$$;
