-- soundscape-kiosk cloud schema, migration 7: the recommender's and the
-- learner's per-row helpers (migration 3) without "set search_path", and
-- the ranking computing each candidate's direction once. Same results (the
-- shared cases of tests/data/ decide, to 1e-6); only faster.
--
-- Why. A function with a SET clause is called through a wrapper that saves,
-- sets and restores the setting on every call, and a search_path change
-- also drops the cached name lookups; a LANGUAGE sql function with one is
-- never inlined into the query that calls it. The ranking calls these
-- helpers once or more per candidate song, the vote trigger a dozen times
-- per vote: refresh_player_queues() for 100 players over 10 000 songs took
-- about 30 s, longer than its 30 s schedule, most of it in those wrappers.
--
-- Why it is safe. Supabase's advice (set search_path = '') guards security
-- definer functions and whatever a caller could redirect. These helpers
-- are none of that: each is immutable arithmetic on its arguments (no
-- table, no security definer), names other functions of soundscape with
-- their schema, and uses only PostgreSQL's built-ins, which resolve in
-- pg_catalog: it is searched first whenever a search_path does not name it,
-- and the functions that call these (rank_core, the vote trigger,
-- kiosk_sync, refresh_player_queues) all run with search_path = ''. Nobody
-- else can call them: schema soundscape is closed to the API roles and
-- EXECUTE is revoked from public. The project's security advisor will
-- list them as "search_path mutable": that is expected, for this reason.
-- Functions that read tables, and every security definer function, keep
-- their "set search_path = ''".

-- LANGUAGE sql: without the clause they are inlined into their caller.
alter function soundscape.vec(extensions.vector) reset search_path;
alter function soundscape.penalty(timestamptz, timestamptz) reset search_path;
alter function soundscape.learner_prior() reset search_path;

-- plpgsql: the call itself is what costs.
alter function soundscape.unit(float8[]) reset search_path;
alter function soundscape.min_sim(float8[], float8[]) reset search_path;
alter function soundscape.quad(float8[], float8[]) reset search_path;
alter function soundscape.learner_matrix(float8[]) reset search_path;
alter function soundscape.cholesky(float8[]) reset search_path;
alter function soundscape.cholesky_solve(float8[], float8[]) reset search_path;
alter function soundscape.learner_state_ok(float8[]) reset search_path;
alter function soundscape.learner_from_preference(float8[]) reset search_path;
alter function soundscape.learner_preference(float8[]) reset search_path;
alter function soundscape.learner_step(float8[], float8[], integer) reset search_path;
alter function soundscape.mat5_mul(float8[], float8[]) reset search_path;
alter function soundscape.learner_explore_matrix(float8[]) reset search_path;
alter function soundscape.seed_vote(float8[], float8[], float8[], integer) reset search_path;

-- a · b for two vectors of five numbers, in the order sim sums them.
create function soundscape.dot5 (a float8[], b float8[])
returns float8
language sql
immutable
strict
as $$
  select a[1] * b[1] + a[2] * b[2] + a[3] * b[3] + a[4] * b[4] + a[5] * b[5]
$$;

-- sim(u, v) = unit(u) · unit(v), as migration 3 computes it, in SQL so
-- that it is inlined (each argument is used once).
create or replace function soundscape.sim (u float8[], v float8[])
returns float8
language sql
immutable
strict
as $$
  select soundscape.dot5(soundscape.unit(u), soundscape.unit(v))
$$;

-- The ranking of migration 3, unchanged in what it returns, with the work
-- per candidate cut down: the group vector's direction is computed once,
-- each song's once; the least of the listeners' similarities only for the
-- strategies that use it, the exploration bonus only when there is one.
create or replace function soundscape.rank_core (p_player uuid, p_k integer, p_strategy text,
  p_group float8[], p_prefs float8[], p_m float8[], p_now timestamptz)
returns table (song_id uuid, score float8)
language plpgsql
stable
set search_path = ''
as $$
declare
  has_library boolean;
  current_song uuid;
  group_unit float8[] := soundscape.unit(p_group);
begin
  if p_strategy not in ('average', 'least_misery', 'average_without_misery') then
    raise exception 'unknown strategy "%"', p_strategy using errcode = '22023';
  end if;
  if p_k is null or p_k < 1 then
    raise exception 'k must be at least 1' using errcode = '22023';
  end if;
  select exists (select 1 from public.player_library l where l.player_id = p_player)
    into has_library;
  select p.current_song_id into current_song from public.players p where p.id = p_player;
  return query
  -- materialized: each song's direction computed once, not once for each
  -- place the inlined dot5 names it
  with candidates as materialized (
    select s.id, soundscape.vec(s.embedding) as e, soundscape.unit(soundscape.vec(s.embedding)) as u
    from public.songs s
    where s.id is distinct from current_song
      and (not has_library
           or exists (select 1 from public.player_library l
                      where l.player_id = p_player and l.song_id = s.id))
  ),
  last_start as (
    select h.song_id, max(h.played_at) as played_at
    from public.songs_playing h
    where h.player_id = p_player
    group by h.song_id
  ),
  measured as (
    select c.id,
      case when p_strategy = 'least_misery' then null
           else soundscape.dot5(group_unit, c.u) end as group_similarity,
      case when p_strategy = 'average' then null
           else soundscape.min_sim(p_prefs, c.e) end as worst,
      soundscape.penalty(p_now, ls.played_at) as penalty,
      case when p_m is null then 0::float8 else soundscape.quad(p_m, c.e) end as bonus
    from candidates c
    left join last_start ls on ls.song_id = c.id
  ),
  scored as (
    select m.id,
      case when p_strategy = 'least_misery' then m.worst else m.group_similarity end as similarity,
      m.worst, m.penalty, m.bonus
    from measured m
  ),
  kept as (
    select * from scored s
    where p_strategy <> 'average_without_misery'
       or s.worst is null
       or s.worst >= -0.3::float8
       or not exists (select 1 from scored t where t.worst is null or t.worst >= -0.3::float8)
  )
  select k.id, k.similarity - k.penalty + k.bonus
  from kept k
  order by 2 desc, 1 asc
  limit p_k;
end;
$$;

revoke all on all functions in schema soundscape from public;
grant execute on function soundscape.has_role(text) to anon, authenticated;
