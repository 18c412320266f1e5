-- soundscape-kiosk cloud schema, migration 2: who may read and write what
-- through the API (PostgREST switches to the role anon, or authenticated
-- with auth.uid() the user's id). The seed's row level security table,
-- rule by rule, plus table privileges so that nothing relies on a
-- project's default grants. service_role and the security definer
-- functions (the kiosk API, the cron job, the vote trigger) are not
-- bound by these rules.

-- TRUE when the signed-in user holds @p_role ('admin' or 'manager').
-- Security definer: the policies of songs call it as anon or
-- authenticated, who cannot read roles themselves.
create function soundscape.has_role (p_role text)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (
    select 1 from public.roles r
    where r.user_id = (select auth.uid()) and r.role = p_role)
$$;
revoke all on all functions in schema soundscape from public;
grant usage on schema soundscape to anon, authenticated;
grant execute on function soundscape.has_role(text) to anon, authenticated;

-- Start from nothing: a Supabase project grants every table of public to
-- anon and authenticated by default.
revoke all on public.profiles, public.roles, public.songs, public.players, public.player_library,
  public.player_queue, public.songs_playing, public.votes, public.sessions, public.badges
  from anon, authenticated;

alter table public.profiles enable row level security;
alter table public.roles enable row level security;
alter table public.songs enable row level security;
alter table public.players enable row level security;
alter table public.player_library enable row level security;
alter table public.player_queue enable row level security;
alter table public.songs_playing enable row level security;
alter table public.votes enable row level security;
alter table public.sessions enable row level security;
alter table public.badges enable row level security;

-- profiles, SELECT: public (anyone can view).
grant select on public.profiles to anon, authenticated;
create policy profiles_select_public on public.profiles
  for select to anon, authenticated using (true);
-- profiles, UPDATE: own profile only. The names only: the taste columns
-- are the vote trigger's to write, so that a vote moves them by the one
-- definition and nothing else does.
grant update (email, name, display_name) on public.profiles to authenticated;
create policy profiles_update_own on public.profiles
  for update to authenticated
  using ((select auth.uid()) = id) with check ((select auth.uid()) = id);

-- songs, SELECT: public.
grant select on public.songs to anon, authenticated;
create policy songs_select_public on public.songs
  for select to anon, authenticated using (true);
-- songs, INSERT/UPDATE/DELETE: admin role only.
grant insert, update, delete on public.songs to authenticated;
create policy songs_insert_admin on public.songs
  for insert to authenticated with check ((select soundscape.has_role('admin')));
create policy songs_update_admin on public.songs
  for update to authenticated
  using ((select soundscape.has_role('admin'))) with check ((select soundscape.has_role('admin')));
create policy songs_delete_admin on public.songs
  for delete to authenticated using ((select soundscape.has_role('admin')));

-- votes, INSERT: auth.uid() = user_id.
grant insert (id, user_id, song_id, vote_value, vote_time, play_id) on public.votes to authenticated;
create policy votes_insert_own on public.votes
  for insert to authenticated with check ((select auth.uid()) = user_id);
-- votes, SELECT: own votes only.
grant select on public.votes to authenticated;
create policy votes_select_own on public.votes
  for select to authenticated using ((select auth.uid()) = user_id);

-- sessions, ALL: auth.uid() = user_id.
grant select, insert, update, delete on public.sessions to authenticated;
create policy sessions_all_own on public.sessions
  for all to authenticated
  using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);

-- players, SELECT: public (for status) — but not the token. The seed makes
-- the whole row readable by anyone, which would publish every player's
-- secret token: anon and authenticated get SELECT on every column but
-- token (column privileges), so "select token" or "select *" is refused
-- for them, while the status stays public. Devices prove their token to
-- the security definer functions (kiosk_sync, player_queue_for) instead.
grant select (id, name, status, current_song_id, last_poll, manager_id, queue_source, created_at,
  updated_at) on public.players to anon, authenticated;
create policy players_select_public on public.players
  for select to anon, authenticated using (true);
-- players, UPDATE: auth.uid() = manager_id (and not the token or the
-- manager: a manager cannot read the token nor give the player away).
grant update (name, status, current_song_id, queue_source) on public.players to authenticated;
create policy players_update_manager on public.players
  for update to authenticated
  using ((select auth.uid()) = manager_id) with check ((select auth.uid()) = manager_id);

-- Not in the seed's table: roles, badges, player_library, player_queue
-- and songs_playing have row level security on and no policy for anon or
-- authenticated, so the API refuses them; the kiosk API and the cron job
-- (security definer) and service_role reach them.
