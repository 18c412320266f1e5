-- soundscape-kiosk cloud schema, migration 5: refresh_player_queues(), the
-- seed's cron job for players whose queue is computed in the cloud
-- (players.queue_source = 'cloud'): the group vector of who has checked
-- in there (nobody: no direction, so the penalty alone rotates the
-- library), recommend_with_penalty's ranking, written to player_queue.
-- Set-based: a few statements for all players together, never a loop
-- over players. A player whose inputs (who is present and their tastes,
-- its library, its last play, the song playing, the songs) have not
-- changed since its last refresh is skipped.

-- What each cloud player's queue was last computed from (a digest).
create table soundscape.queue_inputs (
  player_id uuid primary key references public.players (id) on delete cascade,
  inputs text not null,
  refreshed_at timestamptz not null default now()
);

-- Refreshes the queue (the best @p_k) of every cloud player whose inputs
-- changed; returns how many it refreshed.
create function public.refresh_player_queues (p_k integer default 5)
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  changed uuid[];
  digests text[];
begin
  with inputs as (
    select p.id,
      md5(concat_ws('|',
        (select string_agg(s.user_id::text || '=' || pr.preference_vector::text, ','
                           order by s.user_id)
           from public.sessions s join public.profiles pr on pr.id = s.user_id
           where s.player_id = p.id and s.status = 'active' and s.expires_at > now()),
        (select count(*)::text || '@' || coalesce(max(l.updated_at)::text, '')
           from public.player_library l where l.player_id = p.id),
        (select max(h.played_at)::text from public.songs_playing h where h.player_id = p.id),
        p.current_song_id::text,
        (select count(*)::text || '@' || coalesce(max(s.updated_at)::text, '')
           from public.songs s))) as digest
    from public.players p
    where p.queue_source = 'cloud'
  )
  select coalesce(array_agg(i.id order by i.id), '{}'), coalesce(array_agg(i.digest order by i.id), '{}')
    into changed, digests
  from inputs i
  left join soundscape.queue_inputs q on q.player_id = i.id
  where q.inputs is distinct from i.digest;

  if cardinality(changed) = 0 then
    return 0;
  end if;

  delete from public.player_queue q where q.player_id = any (changed);

  insert into public.player_queue (player_id, song_id, position, score)
  select c.id, r.song_id,
    row_number() over (partition by c.id order by r.score desc, r.song_id)::integer, r.score
  from unnest(changed) as c (id)
  cross join lateral soundscape.rank_core(c.id, p_k, 'average',
    coalesce((select soundscape.vec(extensions.avg(pr.preference_vector))
              from public.sessions s join public.profiles pr on pr.id = s.user_id
              where s.player_id = c.id and s.status = 'active' and s.expires_at > now()),
             array[0.5, 0.5, 0.5, 0.5, 0.5]::float8[]),
    null, null, now()) r;

  insert into soundscape.queue_inputs (player_id, inputs, refreshed_at)
  select c.id, c.digest, now() from unnest(changed, digests) as c (id, digest)
  on conflict (player_id) do update set inputs = excluded.inputs, refreshed_at = excluded.refreshed_at;

  return cardinality(changed);
end;
$$;

revoke all on function public.refresh_player_queues(integer) from public, anon, authenticated;
revoke all on all functions in schema soundscape from public;
grant execute on function soundscape.has_role(text) to anon, authenticated;

-- Every 30 seconds with pg_cron 1.5 or later (the first that takes
-- seconds); elsewhere, a notice and no schedule (call it yourself).
do $$
declare
  v text := (select default_version from pg_catalog.pg_available_extensions
             where name = 'pg_cron');
begin
  if v is not null and string_to_array(v, '.')::int[] >= array[1, 5] then
    create extension if not exists pg_cron;
    perform cron.schedule('refresh-player-queues', '30 seconds',
                          'select public.refresh_player_queues()');
  else
    raise notice 'pg_cron 1.5 or later is not available (%): refresh_player_queues() is not scheduled',
      coalesce(v, 'none');
  end if;
end;
$$;
