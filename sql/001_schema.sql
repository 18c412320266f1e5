-- soundscape-kiosk cloud schema, migration 1: the seed's tables and what
-- docs/DESIGN.md adds to them (badges, sessions.player_id,
-- profiles.taste_momentum and taste_state, players.queue_source,
-- votes.play_id). Applied by "soundscape-ctl db migrate" in one
-- transaction; never edit a migration that has shipped, add the next one.
--
-- Needs what Supabase provides: the auth schema (auth.users, auth.uid())
-- and the roles anon, authenticated and service_role. pgvector lives in
-- the schema "extensions", as Supabase recommends.

create schema if not exists extensions;
create extension if not exists vector with schema extensions;

-- What the API must not reach: helper functions, migration records.
create schema if not exists soundscape;
revoke all on schema soundscape from public;

-- updated_at is the server's clock at the change, whatever a client sends.
create function soundscape.set_updated_at ()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := now();
  return new;
end;
$$;

-- A listener. The id is the listener's auth.users id (guests pushed by a
-- kiosk get an anonymous one).
create table public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  email text,
  name text,
  display_name text,
  -- [rain, wind, fire, thunder, waves], each 0..1, 0.5 = indifference
  preference_vector extensions.vector(5) not null default '[0.5,0.5,0.5,0.5,0.5]',
  -- the seed's gradient rule's momentum (the benchmarks' baseline)
  taste_momentum float8[] not null default '{0,0,0,0,0}'
    check (cardinality(taste_momentum) = 5),
  -- the learner's 29 numbers (docs/learner.md); double precision, which
  -- pgvector's single-precision vector is not
  taste_state float8[] check (taste_state is null or cardinality(taste_state) = 29),
  is_guest boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table public.roles (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references public.profiles (id) on delete cascade,
  role text not null check (role in ('admin', 'manager')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (user_id, role)
);

create table public.songs (
  id uuid primary key default gen_random_uuid(),
  title text not null check (length(title) between 1 and 500),
  artist text check (length(artist) <= 500),
  file_url text not null unique check (length(file_url) between 1 and 2048),
  type text not null default 'soundscape' check (type in ('soundscape', 'instrumental')),
  embedding extensions.vector(5) not null,
  duration integer check (duration >= 0),
  bpm integer check (bpm > 0),
  loudness real,
  sha256 text check (sha256 ~ '^[0-9a-f]{64}$'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table public.players (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  -- the device's secret (the seed's NFC tag id); never readable through
  -- the API, see migration 2
  token text not null unique check (length(token) between 8 and 200),
  status text not null default 'idle' check (status in ('online', 'offline', 'playing', 'idle')),
  current_song_id uuid references public.songs (id) on delete set null,
  last_poll timestamptz,
  manager_id uuid references public.profiles (id) on delete set null,
  -- 'kiosk': the device ranks for who is present; 'cloud': the seed's cron
  -- fills player_queue (players without a brain of their own)
  queue_source text not null default 'kiosk' check (queue_source in ('kiosk', 'cloud')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table public.player_library (
  id uuid primary key default gen_random_uuid(),
  player_id uuid not null references public.players (id) on delete cascade,
  song_id uuid not null references public.songs (id) on delete cascade,
  added_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (player_id, song_id)
);

create table public.player_queue (
  id uuid primary key default gen_random_uuid(),
  player_id uuid not null references public.players (id) on delete cascade,
  song_id uuid not null references public.songs (id) on delete cascade,
  position integer not null check (position >= 1),
  score float8,
  added_at timestamptz not null default now(),
  unique (player_id, position)
);

-- One row per track start: the history the penalty reads.
create table public.songs_playing (
  id uuid primary key default gen_random_uuid(),
  player_id uuid not null references public.players (id) on delete cascade,
  song_id uuid not null references public.songs (id) on delete cascade,
  played_at timestamptz not null default now()
);

create table public.votes (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references public.profiles (id) on delete cascade,
  song_id uuid not null references public.songs (id) on delete cascade,
  vote_value integer not null check (vote_value between 1 and 5),
  vote_time timestamptz not null default now(),
  -- which play the vote rates: one vote per listener per play
  play_id uuid references public.songs_playing (id) on delete set null,
  unique (user_id, play_id)
);

-- A check-in. player_id says where (the seed's sessions are global, which
-- breaks with two venues); null for a check-in from the web.
create table public.sessions (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references public.profiles (id) on delete cascade,
  player_id uuid references public.players (id) on delete cascade,
  checked_in_at timestamptz not null default now(),
  expires_at timestamptz not null default now() + interval '1 hour',
  status text not null default 'active' check (status in ('active', 'inactive')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (expires_at >= checked_in_at)
);

-- An NFC badge's UID (upper-case hex of 4, 7 or 10 bytes) to a listener.
create table public.badges (
  uid text primary key check (uid ~ '^([0-9A-F]{8}|[0-9A-F]{14}|[0-9A-F]{20})$'),
  user_id uuid not null references public.profiles (id) on delete cascade,
  created_at timestamptz not null default now(),
  revoked_at timestamptz,
  updated_at timestamptz not null default now()
);

-- Every foreign key has an index that starts with it (a unique key that
-- starts with the column serves as one).
create index roles_user_id on public.roles (user_id);
create index players_current_song_id on public.players (current_song_id);
create index players_manager_id on public.players (manager_id);
create index player_library_song_id on public.player_library (song_id);
create index player_queue_song_id on public.player_queue (song_id);
create index songs_playing_player_song_time on public.songs_playing (player_id, song_id, played_at);
create index songs_playing_song_id on public.songs_playing (song_id);
create index votes_user_id on public.votes (user_id, vote_time);
create index votes_song_id on public.votes (song_id);
create index votes_play_id on public.votes (play_id);
create index sessions_user_id on public.sessions (user_id);
create index sessions_player_active on public.sessions (player_id, status, expires_at);
create index badges_user_id on public.badges (user_id);

-- The sync cursors: what changed since a time, in a stable order.
create index profiles_updated on public.profiles (updated_at, id);
create index roles_updated on public.roles (updated_at, id);
create index songs_updated on public.songs (updated_at, id);
create index players_updated on public.players (updated_at, id);
create index player_library_updated on public.player_library (player_id, updated_at, id);
create index sessions_updated on public.sessions (updated_at, id);
create index badges_updated on public.badges (updated_at, uid);

create trigger profiles_updated_at before insert or update on public.profiles
  for each row execute function soundscape.set_updated_at();
create trigger roles_updated_at before insert or update on public.roles
  for each row execute function soundscape.set_updated_at();
create trigger songs_updated_at before insert or update on public.songs
  for each row execute function soundscape.set_updated_at();
create trigger players_updated_at before insert or update on public.players
  for each row execute function soundscape.set_updated_at();
create trigger player_library_updated_at before insert or update on public.player_library
  for each row execute function soundscape.set_updated_at();
create trigger sessions_updated_at before insert or update on public.sessions
  for each row execute function soundscape.set_updated_at();
create trigger badges_updated_at before insert or update on public.badges
  for each row execute function soundscape.set_updated_at();

-- Functions get EXECUTE for PUBLIC when made: none of these is for the API.
revoke all on all functions in schema soundscape from public;
