-- soundscape-kiosk cloud schema, migration 4: player_queue_for, what the
-- seed's Django endpoint GET /api/player/queue?player={token} answered,
-- for players that only poll: the player's queue joined with its songs,
-- in order. The device proves itself by its token (which the API never
-- shows, see migration 2); each call stamps players.last_poll.
--
-- Called as PostgREST calls a function (POST /rest/v1/rpc/player_queue_for,
-- it writes): an unknown token is SQLSTATE PT403, which PostgREST answers
-- with HTTP 403.
create function public.player_queue_for (p_token text)
returns table (id uuid, title text, artist text, file_url text, "position" integer)
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_player uuid;
begin
  if p_token is not null and length(p_token) between 8 and 200 then
    update public.players p set last_poll = now()
      where p.token = p_token
      returning p.id into v_player;
  end if;
  if v_player is null then
    raise exception 'unknown player token' using errcode = 'PT403';
  end if;
  return query
    select s.id, s.title, s.artist, s.file_url, q.position
    from public.player_queue q
    join public.songs s on s.id = q.song_id
    where q.player_id = v_player
    order by q.position;
end;
$$;

revoke all on function public.player_queue_for(text) from public;
grant execute on function public.player_queue_for(text) to anon, authenticated, service_role;
