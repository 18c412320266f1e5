-- soundscape-kiosk cloud schema, migration 6: kiosk_sync, the kiosk's one
-- call to the cloud: it pushes rows of the kiosk's outbox and pulls what
-- changed since a cursor. The contract (push, acknowledgements, codes,
-- pull, the cursor rule) is docs/DESIGN.md, "Cloud", "The kiosk API".

-- The cursor: the transaction that last wrote a row the kiosk pulls.
-- A volatile default rewrites the tables once: existing rows carry this
-- migration's transaction id, so the first pull after it returns them.
alter table public.songs add column sync_xid xid8 not null default pg_current_xact_id();
alter table public.player_library add column sync_xid xid8 not null default pg_current_xact_id();
alter table public.players add column sync_xid xid8 not null default pg_current_xact_id();
alter table public.sessions add column sync_xid xid8 not null default pg_current_xact_id();
alter table public.profiles add column sync_xid xid8 not null default pg_current_xact_id();
alter table public.badges add column sync_xid xid8 not null default pg_current_xact_id();
alter table public.roles add column sync_xid xid8 not null default pg_current_xact_id();

create index songs_sync on public.songs (sync_xid, id);
create index player_library_sync on public.player_library (player_id, sync_xid, id);
create index sessions_sync on public.sessions (player_id, sync_xid, id);
create index profiles_sync on public.profiles (sync_xid, id);
create index badges_sync on public.badges (sync_xid, uid);
create index roles_sync on public.roles (sync_xid, id);

-- Rows deleted from the pulled tables, for the kiosks to delete too.
-- player_id: the player a session or library row belonged to (null for
-- the tables every kiosk pulls).
create table soundscape.tombstones (
  id bigint generated always as identity primary key,
  tbl text not null,
  row_key text not null,
  player_id uuid,
  sync_xid xid8 not null default pg_current_xact_id(),
  deleted_at timestamptz not null default now()
);
create index tombstones_sync on soundscape.tombstones (sync_xid, id);

-- sync_xid := the writing transaction's id, whatever a client sent.
create function soundscape.sync_stamp ()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.sync_xid := pg_catalog.pg_current_xact_id();
  return new;
end;
$$;

-- A tombstone for the deleted row. Security definer: a listener deleting
-- their own session through the API cannot write soundscape's tables.
create function soundscape.sync_tombstone ()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  r jsonb := pg_catalog.to_jsonb(old);
begin
  insert into soundscape.tombstones (tbl, row_key, player_id)
  values (tg_table_name, coalesce(r ->> 'id', r ->> 'uid'), (r ->> 'player_id')::uuid);
  return null;
end;
$$;

create trigger songs_sync before insert or update on public.songs
  for each row execute function soundscape.sync_stamp();
create trigger player_library_sync before insert or update on public.player_library
  for each row execute function soundscape.sync_stamp();
create trigger sessions_sync before insert or update on public.sessions
  for each row execute function soundscape.sync_stamp();
create trigger profiles_sync before insert or update on public.profiles
  for each row execute function soundscape.sync_stamp();
create trigger badges_sync before insert or update on public.badges
  for each row execute function soundscape.sync_stamp();
create trigger roles_sync before insert or update on public.roles
  for each row execute function soundscape.sync_stamp();
-- A player's own row changes for the kiosk only when what it reads from
-- it does (each sync stamps last_poll, which must not echo back).
create trigger players_sync_insert before insert on public.players
  for each row execute function soundscape.sync_stamp();
create trigger players_sync_update before update on public.players
  for each row
  when (old.name is distinct from new.name or old.manager_id is distinct from new.manager_id
        or old.queue_source is distinct from new.queue_source)
  execute function soundscape.sync_stamp();

create trigger songs_tombstone after delete on public.songs
  for each row execute function soundscape.sync_tombstone();
create trigger player_library_tombstone after delete on public.player_library
  for each row execute function soundscape.sync_tombstone();
create trigger sessions_tombstone after delete on public.sessions
  for each row execute function soundscape.sync_tombstone();
create trigger profiles_tombstone after delete on public.profiles
  for each row execute function soundscape.sync_tombstone();
create trigger badges_tombstone after delete on public.badges
  for each row execute function soundscape.sync_tombstone();
create trigger roles_tombstone after delete on public.roles
  for each row execute function soundscape.sync_tombstone();

-- The row codes (docs/DESIGN.md, "The kiosk API"): each check raises one
-- of them, which kiosk_sync turns into the row's acknowledgement.
create function soundscape.sync_fail (p_code text, p_message text)
returns void
language plpgsql
set search_path = ''
as $$
begin
  raise exception '%', p_message using errcode = p_code;
end;
$$;

-- @r's value @k, null when it is absent or JSON null: SK400 then when
-- @p_required.
create function soundscape.sync_value (r jsonb, k text, p_required boolean)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v jsonb := nullif(r -> k, 'null'::jsonb);
begin
  if v is null and p_required then
    perform soundscape.sync_fail('SK400', k || ' is missing');
  end if;
  return v;
end;
$$;

-- @r's string @k (null when absent or null and not @p_required), at most
-- @p_max characters, without control characters.
create function soundscape.sync_text (r jsonb, k text, p_max integer, p_required boolean)
returns text
language plpgsql
set search_path = ''
as $$
declare
  v jsonb := soundscape.sync_value(r, k, p_required);
  t text;
begin
  if v is null then
    return null;
  end if;
  if pg_catalog.jsonb_typeof(v) <> 'string' then
    perform soundscape.sync_fail('SK400', k || ' is not a string');
  end if;
  t := v #>> '{}';
  if pg_catalog.length(t) > p_max then
    perform soundscape.sync_fail('SK404', k || ' is longer than ' || p_max || ' characters');
  end if;
  if t ~ '[[:cntrl:]]' then
    perform soundscape.sync_fail('SK400', k || ' holds a control character');
  end if;
  return t;
end;
$$;

create function soundscape.sync_uuid (r jsonb, k text, p_required boolean)
returns uuid
language plpgsql
set search_path = ''
as $$
declare
  t text := soundscape.sync_text(r, k, 36, p_required);
begin
  if t is not null
     and t !~ '^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$' then
    perform soundscape.sync_fail('SK400', k || ' is not a UUID');
  end if;
  return t::uuid;
end;
$$;

-- A time the kiosk recorded: ISO 8601 with a zone, from 2000 to a day
-- after the server's clock (a kiosk's clock may be off by less).
create function soundscape.sync_time (r jsonb, k text, p_required boolean)
returns timestamptz
language plpgsql
set search_path = ''
as $$
declare
  t text := soundscape.sync_text(r, k, 40, p_required);
  ts timestamptz;
begin
  if t is null then
    return null;
  end if;
  if t !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)$' then
    perform soundscape.sync_fail('SK403', k || ' is not an ISO 8601 time with a zone');
  end if;
  ts := t::timestamptz; -- an impossible date raises 22008, acknowledged as SK403
  if ts < '2000-01-01T00:00:00Z'::timestamptz or ts > pg_catalog.now() + interval '24 hours' then
    perform soundscape.sync_fail('SK403', k || ' is ' || t || ', not a time between 2000 and a day from now');
  end if;
  return ts;
end;
$$;

-- @r's integer @k (a JSON number without a fraction); @p_code when it is
-- not one.
create function soundscape.sync_int (r jsonb, k text, p_required boolean, p_code text)
returns integer
language plpgsql
set search_path = ''
as $$
declare
  v jsonb := soundscape.sync_value(r, k, p_required);
  n numeric;
begin
  if v is null then
    return null;
  end if;
  if pg_catalog.jsonb_typeof(v) <> 'number' then
    perform soundscape.sync_fail(p_code, k || ' is not a number');
  end if;
  n := (v #>> '{}')::numeric;
  if n <> pg_catalog.trunc(n) or n < -2147483648 or n > 2147483647 then
    perform soundscape.sync_fail(p_code, k || ' is not an integer');
  end if;
  return n::integer;
end;
$$;

-- @r's vector @k: @p_n finite numbers, as the text "[a,b,…]" (the kiosk's
-- and pgvector's form) or a JSON array; each in 0..1 when @p_unit. SK401
-- otherwise (NaN and Infinity are not numbers in JSON nor in this text).
create function soundscape.sync_vector (r jsonb, k text, p_n integer, p_unit boolean,
  p_required boolean)
returns float8[]
language plpgsql
set search_path = ''
as $$
declare
  v jsonb := soundscape.sync_value(r, k, p_required);
  items numeric[];
  out float8[] := '{}';
begin
  if v is null then
    return null;
  end if;
  if pg_catalog.jsonb_typeof(v) = 'string' then
    if pg_catalog.length(v #>> '{}') > 2000
       or (v #>> '{}') !~ '^\[\s*-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?(\s*,\s*-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?)*\s*\]$' then
      perform soundscape.sync_fail('SK401', k || ' is not a list of finite numbers');
    end if;
    items := pg_catalog.string_to_array(pg_catalog.btrim(v #>> '{}', '[] '), ',')::numeric[];
  elsif pg_catalog.jsonb_typeof(v) = 'array' then
    if exists (select 1 from pg_catalog.jsonb_array_elements(v) e
               where pg_catalog.jsonb_typeof(e) <> 'number') then
      perform soundscape.sync_fail('SK401', k || ' is not a list of numbers');
    end if;
    select pg_catalog.array_agg((e #>> '{}')::numeric order by o) into items
      from pg_catalog.jsonb_array_elements(v) with ordinality as x (e, o);
  else
    perform soundscape.sync_fail('SK401', k || ' is not a vector');
  end if;
  if coalesce(pg_catalog.cardinality(items), 0) <> p_n then
    perform soundscape.sync_fail('SK401', k || ' has ' || coalesce(pg_catalog.cardinality(items), 0)
                                 || ' numbers, not ' || p_n);
  end if;
  for i in 1 .. p_n loop
    if p_unit and (items[i] < 0 or items[i] > 1) then
      perform soundscape.sync_fail('SK401', k || ' has a number outside 0..1');
    end if;
    if pg_catalog.abs(items[i]) > 1e300 then
      perform soundscape.sync_fail('SK401', k || ' has a number out of range');
    end if;
    out := out || items[i]::float8;
  end loop;
  return out;
end;
$$;

-- A vector as pgvector's text.
create function soundscape.sync_vector_text (v float8[])
returns text
language sql
immutable
strict
set search_path = ''
as $$
  select '[' || pg_catalog.array_to_string(v, ',') || ']'
$$;

-- profiles: a new listener (a guest the kiosk made) with an anonymous
-- auth.users row and its taste as sent; an existing one takes only new
-- names, and only when it is a guest.
create function soundscape.sync_push_profile (p_player uuid, r jsonb)
returns void
language plpgsql
set search_path = ''
as $$
declare
  v_id uuid := soundscape.sync_uuid(r, 'id', true);
  v_email text := soundscape.sync_text(r, 'email', 200, false);
  v_name text := soundscape.sync_text(r, 'name', 200, false);
  v_display text := soundscape.sync_text(r, 'display_name', 200, false);
  v_pref float8[] := soundscape.sync_vector(r, 'preference_vector', 5, true, false);
  v_momentum float8[] := soundscape.sync_vector(r, 'taste_momentum', 5, false, false);
  v_state float8[] := soundscape.sync_vector(r, 'taste_state', 29, false, false);
  v_created timestamptz := soundscape.sync_time(r, 'created_at', false);
  v_guest jsonb := soundscape.sync_value(r, 'is_guest', false);
  v_is_guest boolean;
  old record;
begin
  perform soundscape.sync_time(r, 'updated_at', false);
  if v_guest is null or v_guest in ('0'::jsonb, 'false'::jsonb) then
    v_is_guest := false;
  elsif v_guest in ('1'::jsonb, 'true'::jsonb) then
    v_is_guest := true;
  else
    perform soundscape.sync_fail('SK400', 'is_guest is not 0, 1, true or false');
  end if;
  if v_state is not null and not soundscape.learner_state_ok(v_state) then
    perform soundscape.sync_fail('SK401', 'taste_state is not a state the learner can continue from');
  end if;

  select p.email, p.name, p.display_name, p.is_guest into old
    from public.profiles p where p.id = v_id for update;
  if found then
    if (old.email, old.name, old.display_name) is not distinct from (v_email, v_name, v_display) then
      return;
    end if;
    if not old.is_guest then
      perform soundscape.sync_fail('SK405', 'a kiosk renames only guests');
    end if;
    update public.profiles
      set email = v_email, name = v_name, display_name = v_display
      where id = v_id;
    return;
  end if;

  insert into auth.users (id, is_anonymous) values (v_id, true) on conflict (id) do nothing;
  insert into public.profiles (id, email, name, display_name, preference_vector, taste_momentum,
    taste_state, is_guest, created_at)
  values (v_id, v_email, v_name, v_display,
    soundscape.sync_vector_text(coalesce(v_pref, array[0.5, 0.5, 0.5, 0.5, 0.5]::float8[]))::extensions.vector,
    coalesce(v_momentum, array[0, 0, 0, 0, 0]::float8[]), v_state, v_is_guest,
    coalesce(v_created, pg_catalog.now()));
end;
$$;

-- badges: a new badge, or a known one revoked or restored; never moved to
-- another listener.
create function soundscape.sync_push_badge (p_player uuid, r jsonb)
returns void
language plpgsql
set search_path = ''
as $$
declare
  v_uid text := soundscape.sync_text(r, 'uid', 20, true);
  v_user uuid := soundscape.sync_uuid(r, 'user_id', true);
  v_created timestamptz := soundscape.sync_time(r, 'created_at', false);
  v_revoked timestamptz := soundscape.sync_time(r, 'revoked_at', false);
  old record;
begin
  if v_uid !~ '^([0-9A-F]{8}|[0-9A-F]{14}|[0-9A-F]{20})$' then
    perform soundscape.sync_fail('SK400', 'uid is not upper-case hex of 4, 7 or 10 bytes');
  end if;
  select b.user_id, b.revoked_at into old from public.badges b where b.uid = v_uid for update;
  if found then
    if old.user_id <> v_user then
      perform soundscape.sync_fail('SK405', 'the badge belongs to another listener');
    end if;
    if old.revoked_at is distinct from v_revoked then
      update public.badges set revoked_at = v_revoked where uid = v_uid;
    end if;
    return;
  end if;
  insert into public.badges (uid, user_id, created_at, revoked_at)
  values (v_uid, v_user, coalesce(v_created, pg_catalog.now()), v_revoked);
end;
$$;

-- songs: a song the kiosk imported, inserted once. Its file: URL names a
-- file on that kiosk only, so no other kiosk pulls it; the catalogue's
-- http(s) songs are the admins' (row level security), never a kiosk's.
create function soundscape.sync_push_song (p_player uuid, r jsonb)
returns void
language plpgsql
set search_path = ''
as $$
declare
  v_id uuid := soundscape.sync_uuid(r, 'id', true);
  v_title text := soundscape.sync_text(r, 'title', 500, true);
  v_artist text := soundscape.sync_text(r, 'artist', 500, false);
  v_url text := soundscape.sync_text(r, 'file_url', 2048, true);
  v_type text := coalesce(soundscape.sync_text(r, 'type', 20, false), 'soundscape');
  v_embedding float8[] := soundscape.sync_vector(r, 'embedding', 5, true, true);
  v_duration integer := soundscape.sync_int(r, 'duration', false, 'SK400');
  v_bpm integer := soundscape.sync_int(r, 'bpm', false, 'SK400');
  v_created timestamptz := soundscape.sync_time(r, 'created_at', false);
begin
  perform soundscape.sync_time(r, 'updated_at', false);
  if v_title = '' or v_url !~ '^file://' then
    perform soundscape.sync_fail('SK400', 'a song a kiosk pushes needs a title and a file: URL');
  end if;
  if v_type not in ('soundscape', 'instrumental') then
    perform soundscape.sync_fail('SK400', 'type is not soundscape or instrumental');
  end if;
  if v_duration < 0 or v_bpm <= 0 then
    perform soundscape.sync_fail('SK400', 'duration below 0 or bpm not above 0');
  end if;
  if exists (select 1 from public.songs s where s.id = v_id) then
    return;
  end if;
  -- a file_url held by another song: unique violation, SK409
  insert into public.songs (id, title, artist, file_url, type, embedding, duration, bpm, created_at)
  values (v_id, v_title, v_artist, v_url, v_type,
          soundscape.sync_vector_text(v_embedding)::extensions.vector, v_duration, v_bpm,
          coalesce(v_created, pg_catalog.now()));
end;
$$;

-- songs_playing: a track start at this player, inserted once.
create function soundscape.sync_push_play (p_player uuid, r jsonb)
returns void
language plpgsql
set search_path = ''
as $$
declare
  v_id uuid := soundscape.sync_uuid(r, 'id', true);
  v_at_player uuid := soundscape.sync_uuid(r, 'player_id', true);
  v_song uuid := soundscape.sync_uuid(r, 'song_id', true);
  v_at timestamptz := soundscape.sync_time(r, 'played_at', true);
  v_was uuid;
begin
  if v_at_player <> p_player then
    perform soundscape.sync_fail('SK405', 'the play is of another player');
  end if;
  select h.player_id into v_was from public.songs_playing h where h.id = v_id;
  if found then
    if v_was <> p_player then
      perform soundscape.sync_fail('SK405', 'the play is of another player');
    end if;
    return;
  end if;
  -- an unknown song: foreign key violation, SK406
  insert into public.songs_playing (id, player_id, song_id, played_at)
  values (v_id, p_player, v_song, v_at);
end;
$$;

-- sessions: a check-in at this player, inserted or brought up to date.
create function soundscape.sync_push_session (p_player uuid, r jsonb)
returns void
language plpgsql
set search_path = ''
as $$
declare
  v_id uuid := soundscape.sync_uuid(r, 'id', true);
  v_user uuid := soundscape.sync_uuid(r, 'user_id', true);
  v_at_player uuid := soundscape.sync_uuid(r, 'player_id', true);
  v_in timestamptz := soundscape.sync_time(r, 'checked_in_at', true);
  v_expires timestamptz := soundscape.sync_time(r, 'expires_at', true);
  v_status text := soundscape.sync_text(r, 'status', 20, true);
  v_created timestamptz := soundscape.sync_time(r, 'created_at', false);
  old record;
begin
  if v_status not in ('active', 'inactive') then
    perform soundscape.sync_fail('SK400', 'status is not active or inactive');
  end if;
  if v_expires < v_in then
    perform soundscape.sync_fail('SK403', 'the session ends before it begins');
  end if;
  if v_at_player <> p_player then
    perform soundscape.sync_fail('SK405', 'the session is at another player');
  end if;
  select s.user_id, s.player_id, s.checked_in_at, s.expires_at, s.status into old
    from public.sessions s where s.id = v_id for update;
  if found then
    if old.player_id is distinct from p_player or old.user_id <> v_user then
      perform soundscape.sync_fail('SK405', 'the session is another player''s or listener''s');
    end if;
    if (old.checked_in_at, old.expires_at, old.status) is distinct from (v_in, v_expires, v_status) then
      update public.sessions
        set checked_in_at = v_in, expires_at = v_expires, status = v_status
        where id = v_id;
    end if;
    return;
  end if;
  -- an unknown listener: foreign key violation, SK406
  insert into public.sessions (id, user_id, player_id, checked_in_at, expires_at, status, created_at)
  values (v_id, v_user, p_player, v_in, v_expires, v_status, coalesce(v_created, pg_catalog.now()));
end;
$$;

-- votes: inserted once; the learner's trigger moves the listener's taste
-- on that insert only, so a vote pushed twice counts once.
create function soundscape.sync_push_vote (p_player uuid, r jsonb)
returns void
language plpgsql
set search_path = ''
as $$
declare
  v_id uuid := soundscape.sync_uuid(r, 'id', true);
  v_user uuid := soundscape.sync_uuid(r, 'user_id', true);
  v_song uuid := soundscape.sync_uuid(r, 'song_id', true);
  v_play uuid := soundscape.sync_uuid(r, 'play_id', false);
  v_value integer := soundscape.sync_int(r, 'vote_value', true, 'SK402');
  v_time timestamptz := soundscape.sync_time(r, 'vote_time', true);
  play record;
  old record;
begin
  if v_value < 1 or v_value > 5 then
    perform soundscape.sync_fail('SK402', 'vote_value is ' || v_value || ', not 1 to 5');
  end if;
  if v_play is not null then
    select h.player_id, h.song_id into play from public.songs_playing h where h.id = v_play;
    if not found then
      perform soundscape.sync_fail('SK406', 'the play is not on the server');
    end if;
    if play.player_id <> p_player then
      perform soundscape.sync_fail('SK405', 'the play is of another player');
    end if;
    if play.song_id <> v_song then
      perform soundscape.sync_fail('SK400', 'the play is of another song');
    end if;
  end if;
  select v.user_id into old from public.votes v where v.id = v_id;
  if found then
    if old.user_id <> v_user then
      perform soundscape.sync_fail('SK409', 'the vote id is another listener''s');
    end if;
    return; -- pushed before: counted once
  end if;
  -- a second vote for the same play: unique violation, SK409; an
  -- unknown listener or song: foreign key violation, SK406
  insert into public.votes (id, user_id, song_id, vote_value, vote_time, play_id)
  values (v_id, v_user, v_song, v_value, v_time, v_play);
end;
$$;

-- TRUE for a row written by transaction @p_xid that a pull from the
-- cursor snapshot @p_prev (null: the start) up to the snapshot @p_cur
-- returns: committed in @p_cur and not in @p_prev (docs/DESIGN.md, "The
-- cursor rule").
create function soundscape.sync_new_in (p_xid xid8, p_prev pg_snapshot, p_cur pg_snapshot)
returns boolean
language sql
immutable
set search_path = ''
as $$
  select (p_prev is null or not pg_catalog.pg_visible_in_snapshot(p_xid, p_prev))
    and pg_catalog.pg_visible_in_snapshot(p_xid, p_cur)
$$;

-- One page of one pulled table: the rows of @p_from (alias x) new in
-- @p_cur since @p_prev (sync_xid at least @p_lo, the xmin of @p_prev,
-- which the index finds) that pass @p_filter, after the position
-- @p_after ([sync_xid, key] as text; null: from the start), at most
-- @p_limit, in (sync_xid, key) order, each as @p_row. In the filter, $3
-- is the player and $4 its manager. Returns the rows and the position of
-- the last one. The statement is made of this file's constants only.
create function soundscape.sync_page (p_from text, p_key text, p_key_type text, p_filter text,
  p_row text, p_player uuid, p_manager uuid, p_lo xid8, p_prev pg_snapshot, p_cur pg_snapshot,
  p_after jsonb, p_limit integer, out rows jsonb, out last_pos jsonb)
language plpgsql
stable
set search_path = ''
as $$
begin
  execute pg_catalog.format(
    'select coalesce(pg_catalog.jsonb_agg(r.j order by r.sync_xid, r.k), ''[]''), '
    '  (pg_catalog.array_agg(pg_catalog.jsonb_build_array(r.sync_xid::text, r.k::text) '
    '     order by r.sync_xid desc, r.k desc))[1] '
    'from (select x.sync_xid, x.%1$I as k, %2$s as j from %3$s x '
    '      where x.sync_xid >= $1 and soundscape.sync_new_in(x.sync_xid, $8, $2) and (%4$s) %5$s '
    '      order by x.sync_xid, x.%1$I limit $7) r',
    p_key, p_row, p_from, p_filter,
    case when p_after is null then ''
         else pg_catalog.format('and (x.sync_xid, x.%I) > (($5)::xid8, ($6)::%s)', p_key, p_key_type)
    end)
    into rows, last_pos
    using p_lo, p_cur, p_player, p_manager, p_after ->> 0, p_after ->> 1, p_limit, p_prev;
end;
$$;

-- What changed for @p_player from the snapshot @p_prev (null: the start)
-- to the snapshot @p_cur, each table
-- from its position in @p_pos ({"table": [xid, key] | "end"}; a table not
-- in it from the start), at most @p_limit rows a table: {changes,
-- deleted, pos}, pos null when every table is done. The tables are paged
-- one after another, in the order below: a table is read only once those
-- before it are done, so that a pulled row never names a row of an earlier
-- table that a later page would bring (a library row before its song).
create function soundscape.sync_pull (p_player uuid, p_prev pg_snapshot, p_cur pg_snapshot,
  p_pos jsonb, p_limit integer)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
declare
  -- the profiles that concern the venue, by x.id or x.user_id (%1$s)
  concern constant text :=
    'exists (select 1 from public.badges b where b.user_id = x.%1$s) '
    'or exists (select 1 from public.sessions s where s.player_id = $3 and s.user_id = x.%1$s) '
    'or x.%1$s = $4';
  v_manager uuid;
  changes jsonb := '{}';
  deleted jsonb := '[]';
  pos jsonb := '{}';
  more boolean := false;
  t record;
  page record;
  named uuid[];
  v_lo xid8 := coalesce(pg_catalog.pg_snapshot_xmin(p_prev), '0'::xid8);
begin
  select p.manager_id into v_manager from public.players p where p.id = p_player;
  for t in
    select * from (values
      (1, 'songs', 'public.songs', 'id', 'uuid', 'x.file_url ~ ''^https?://''',
       'pg_catalog.to_jsonb(x) - ''sync_xid'''),
      (2, 'player_library', 'public.player_library', 'id', 'uuid', 'x.player_id = $3',
       'pg_catalog.to_jsonb(x) - ''sync_xid'''),
      (3, 'sessions', 'public.sessions', 'id', 'uuid', 'x.player_id = $3',
       'pg_catalog.to_jsonb(x) - ''sync_xid'''),
      (4, 'profiles', 'public.profiles', 'id', 'uuid', pg_catalog.format(concern, 'id'),
       'pg_catalog.to_jsonb(x) - ''sync_xid'' - ''email'''),
      (5, 'badges', 'public.badges', 'uid', 'text', 'true', 'pg_catalog.to_jsonb(x) - ''sync_xid'''),
      (6, 'roles', 'public.roles', 'id', 'uuid', pg_catalog.format(concern, 'user_id'),
       'pg_catalog.to_jsonb(x) - ''sync_xid'''),
      (7, 'deleted', 'soundscape.tombstones', 'id', 'bigint',
       '(x.player_id is null or x.player_id = $3) and not (case x.tbl '
       '  when ''songs'' then exists (select 1 from public.songs o where o.id = x.row_key::uuid) '
       '  when ''player_library'' then exists (select 1 from public.player_library o where o.id = x.row_key::uuid) '
       '  when ''sessions'' then exists (select 1 from public.sessions o where o.id = x.row_key::uuid) '
       '  when ''profiles'' then exists (select 1 from public.profiles o where o.id = x.row_key::uuid) '
       '  when ''badges'' then exists (select 1 from public.badges o where o.uid = x.row_key) '
       '  when ''roles'' then exists (select 1 from public.roles o where o.id = x.row_key::uuid) '
       '  else true end)',
       'pg_catalog.jsonb_build_object(''table'', x.tbl, ''id'', x.row_key)'))
      as v (n, name, src, key, key_type, filter, row_json)
    order by n
  loop
    if p_pos ->> t.name = 'end' then
      pos := pos || pg_catalog.jsonb_build_object(t.name, 'end'); -- done, till the pull ends
      continue;
    end if;
    if more then
      -- an earlier table has more pages: this one waits for them
      if p_pos ? t.name then
        pos := pos || pg_catalog.jsonb_build_object(t.name, p_pos -> t.name);
      end if;
      continue;
    end if;
    select * into page from soundscape.sync_page(t.src, t.key, t.key_type, t.filter, t.row_json,
      p_player, v_manager, v_lo, p_prev, p_cur, p_pos -> t.name, p_limit);
    if t.name = 'deleted' then
      deleted := page.rows;
    else
      changes := changes || pg_catalog.jsonb_build_object(t.name, page.rows);
    end if;
    if pg_catalog.jsonb_array_length(page.rows) < p_limit then
      pos := pos || pg_catalog.jsonb_build_object(t.name, 'end');
    else
      pos := pos || pg_catalog.jsonb_build_object(t.name, page.last_pos);
      more := true;
    end if;
  end loop;

  -- this player's own row, on the first page: never the token
  changes := changes || pg_catalog.jsonb_build_object('players', (
    select coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(x) - 'sync_xid' - 'token'), '[]')
    from public.players x
    where p_pos is null and x.id = p_player and soundscape.sync_new_in(x.sync_xid, p_prev, p_cur)));

  -- Listeners that come to concern the venue because a badge, a session
  -- or the manager pulled here names them: their profile and roles whole.
  select pg_catalog.array_agg(distinct n.u) into named from (
    select (e ->> 'user_id')::uuid as u
      from pg_catalog.jsonb_array_elements(coalesce(changes -> 'badges', '[]')
                                           || coalesce(changes -> 'sessions', '[]')) e
    union all
    select (e ->> 'manager_id')::uuid from pg_catalog.jsonb_array_elements(changes -> 'players') e
  ) n
  where n.u is not null
    and not exists (select 1 from pg_catalog.jsonb_array_elements(coalesce(changes -> 'profiles', '[]')) p
                    where (p ->> 'id')::uuid = n.u);
  if named is not null then
    changes := pg_catalog.jsonb_set(changes, '{profiles}', coalesce(changes -> 'profiles', '[]') || (
      select coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(x) - 'sync_xid' - 'email' order by x.id), '[]')
      from public.profiles x where x.id = any (named)));
    changes := pg_catalog.jsonb_set(changes, '{roles}', coalesce(changes -> 'roles', '[]') || (
      select coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(x) - 'sync_xid' order by x.id), '[]')
      from public.roles x
      where x.user_id = any (named) and not soundscape.sync_new_in(x.sync_xid, p_prev, p_cur)));
  end if;

  return pg_catalog.jsonb_build_object('changes', changes, 'deleted', deleted,
                                       'pos', case when more then pos end);
end;
$$;

-- TRUE for a snapshot as pg_snapshot's text, "xmin:xmax:xip,…", with
-- xmin ≤ each xip < xmax.
create function soundscape.sync_snapshot_ok (p jsonb)
returns boolean
language plpgsql
immutable
set search_path = ''
as $$
declare
  t text;
begin
  if p is null or pg_catalog.jsonb_typeof(p) <> 'string' then
    return false;
  end if;
  t := p #>> '{}';
  if pg_catalog.length(t) > 100000 or t !~ '^[0-9]{1,19}:[0-9]{1,19}:([0-9]{1,19}(,[0-9]{1,19})*)?$' then
    return false;
  end if;
  perform t::pg_snapshot;
  return true;
exception when invalid_text_representation or numeric_value_out_of_range then
  return false;
end;
$$;

-- The kiosk API (docs/DESIGN.md, "The kiosk API"). Security definer: the
-- token is the credential, and anon reaches nothing else of these tables.
create function public.kiosk_sync (p_token text, p_push jsonb, p_cursor jsonb)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  tables constant text[] := array['profiles', 'badges', 'songs', 'songs_playing', 'sessions', 'votes'];
  keys constant text[] := array['id', 'uid', 'id', 'id', 'id', 'id'];
  v_player uuid;
  v_now pg_snapshot;
  v_prev pg_snapshot;
  v_cur pg_snapshot;
  v_pos jsonb;
  k text;
  total integer := 0;
  r jsonb;
  i integer;
  n bigint;
  row_key text;
  code text;
  state text;
  msg text;
  acks jsonb := '{}';
  errors jsonb := '[]';
  pulled jsonb;
begin
  -- The snapshot first, before this call writes anything: the rows it
  -- writes carry its own transaction id, which is not visible in it, so
  -- they come back in a later pull (docs/DESIGN.md, "The cursor rule").
  v_now := pg_catalog.pg_current_snapshot();

  if p_token is not null and pg_catalog.length(p_token) between 8 and 200 then
    select p.id into v_player from public.players p where p.token = p_token;
  end if;
  if v_player is null then
    raise exception 'unknown player token' using errcode = 'PT403';
  end if;

  -- The cursor: {"v": 1, "s": snapshot} (or the start), with "h" (the
  -- snapshot being paged through) and "p" (the page positions) while a
  -- pull has more pages; "s" is null while the first pull (from the
  -- start) has more pages.
  if p_cursor is null or p_cursor = '{}'::jsonb or p_cursor = 'null'::jsonb then
    v_cur := v_now;
  else
    if pg_catalog.jsonb_typeof(p_cursor) <> 'object' or p_cursor -> 'v' is distinct from '1'::jsonb
       or not (soundscape.sync_snapshot_ok(p_cursor -> 's')
               or (p_cursor -> 's' = 'null'::jsonb and p_cursor ? 'h'))
       or (p_cursor ? 'h') <> (p_cursor ? 'p')
       or (p_cursor ? 'h' and not soundscape.sync_snapshot_ok(p_cursor -> 'h'))
       or (p_cursor ? 'p' and pg_catalog.jsonb_typeof(p_cursor -> 'p') <> 'object') then
      raise exception 'the cursor is malformed' using errcode = 'SK411';
    end if;
    v_prev := (p_cursor ->> 's')::pg_snapshot;
    v_cur := coalesce((p_cursor ->> 'h')::pg_snapshot, v_now);
    v_pos := p_cursor -> 'p';
    if pg_catalog.pg_snapshot_xmax(v_prev) > pg_catalog.pg_snapshot_xmax(v_cur)
       or pg_catalog.pg_snapshot_xmax(v_cur) > pg_catalog.pg_snapshot_xmax(v_now) then
      raise exception 'the cursor is not one this database gave' using errcode = 'SK411';
    end if;
    if v_pos is not null and exists (
         select 1 from pg_catalog.jsonb_each(v_pos) e
         where e.key not in ('songs', 'player_library', 'sessions', 'profiles', 'badges', 'roles', 'deleted')
            or not (e.value = '"end"'::jsonb
                    or (pg_catalog.jsonb_typeof(e.value) = 'array'
                        and pg_catalog.jsonb_array_length(e.value) = 2
                        and coalesce(e.value ->> 0, '') ~ '^[0-9]{1,19}$'
                        and coalesce(e.value ->> 1, '') ~ '^[0-9A-Fa-f-]{1,36}$'))) then
      raise exception 'the cursor''s page positions are malformed' using errcode = 'SK411';
    end if;
  end if;

  -- The push's shape, as a whole.
  if p_push is not null and p_push <> 'null'::jsonb then
    if pg_catalog.jsonb_typeof(p_push) <> 'object' then
      raise exception 'the push is not an object' using errcode = 'SK410';
    end if;
    for k in select pg_catalog.jsonb_object_keys(p_push) loop
      if not (k = any (tables)) then
        raise exception 'the push has a key "%" that is not a table it takes', k using errcode = 'SK410';
      end if;
      if pg_catalog.jsonb_typeof(p_push -> k) <> 'array' then
        raise exception 'the push''s "%" is not an array', k using errcode = 'SK410';
      end if;
      total := total + pg_catalog.jsonb_array_length(p_push -> k);
    end loop;
    if total > 500 then
      raise exception 'the push has % rows, more than 500', total using errcode = 'SK413';
    end if;

    -- Each row alone: checked, applied, acknowledged; a refused row
    -- changes nothing (its subtransaction rolls back), the others stay.
    for i in 1 .. pg_catalog.array_length(tables, 1) loop
      k := tables[i];
      continue when p_push -> k is null;
      acks := acks || pg_catalog.jsonb_build_object(k, '{}'::jsonb);
      for r, n in select x.e, x.o from pg_catalog.jsonb_array_elements(p_push -> k) with ordinality as x (e, o) loop
        row_key := case when pg_catalog.jsonb_typeof(r) = 'object'
                          and pg_catalog.jsonb_typeof(r -> keys[i]) = 'string'
                          and pg_catalog.length(r ->> keys[i]) <= 64
                        then r ->> keys[i] else '#' || (n - 1) end;
        begin
          if pg_catalog.jsonb_typeof(r) <> 'object' then
            perform soundscape.sync_fail('SK400', 'the row is not an object');
          end if;
          case k
            when 'profiles' then perform soundscape.sync_push_profile(v_player, r);
            when 'badges' then perform soundscape.sync_push_badge(v_player, r);
            when 'songs' then perform soundscape.sync_push_song(v_player, r);
            when 'songs_playing' then perform soundscape.sync_push_play(v_player, r);
            when 'sessions' then perform soundscape.sync_push_session(v_player, r);
            else perform soundscape.sync_push_vote(v_player, r);
          end case;
          code := 'ok';
        exception when others then
          get stacked diagnostics state = returned_sqlstate, msg = message_text;
          code := case
            when state like 'SK4%' then state
            when state = '23505' then 'SK409'
            when state = '23503' then 'SK406'
            when state in ('22007', '22008') then 'SK403'
            when state = '22001' then 'SK404'
            when state in ('22P02', '22003', '23502', '23514') then 'SK400'
          end;
          if code is null then
            raise; -- not the row's fault: the call fails and the kiosk retries
          end if;
          errors := errors || pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
            'table', k, 'id', row_key, 'code', code, 'message', msg));
        end;
        -- an id pushed twice is acknowledged by its first error, else ok
        if coalesce(acks -> k ->> row_key, 'ok') = 'ok' then
          acks := pg_catalog.jsonb_set(acks, array[k, row_key], pg_catalog.to_jsonb(code));
        end if;
      end loop;
    end loop;
  end if;

  pulled := soundscape.sync_pull(v_player, v_prev, v_cur, v_pos, 1000);

  update public.players p set last_poll = pg_catalog.now() where p.id = v_player;

  return pg_catalog.jsonb_build_object(
    'acks', acks,
    'errors', errors,
    'changes', pulled -> 'changes',
    'deleted', pulled -> 'deleted',
    'more', pulled -> 'pos' <> 'null'::jsonb,
    'cursor', case
      when pulled -> 'pos' = 'null'::jsonb then pg_catalog.jsonb_build_object('v', 1, 's', v_cur::text)
      else pg_catalog.jsonb_build_object('v', 1, 's', v_prev::text, 'h', v_cur::text,
        'p', pulled -> 'pos')
    end);
end;
$$;

revoke all on function public.kiosk_sync(text, jsonb, jsonb) from public;
grant execute on function public.kiosk_sync(text, jsonb, jsonb) to anon, authenticated, service_role;
revoke all on all functions in schema soundscape from public;
grant execute on function soundscape.has_role(text) to anon, authenticated;
