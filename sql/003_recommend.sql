-- soundscape-kiosk cloud schema, migration 3: the recommender and the
-- taste learner, to the one definition of docs/DESIGN.md
-- ("Recommendation") and docs/learner.md, which the C code follows too;
-- tests/data/ holds the cases both must pass to 1e-6. Arithmetic in
-- double precision: vectors are read out of pgvector (single precision)
-- into float8[], the learner's state is float8[] throughout.

-- A vector as five doubles.
create function soundscape.vec (v extensions.vector)
returns float8[]
language sql
immutable
strict
set search_path = ''
as $$
  select v::real[]::float8[]
$$;

-- unit(v) = c(v) / |c(v)| with c(v) = v − 0.5; all zeros when |c(v)| < 1e-9
-- (no direction).
create function soundscape.unit (v float8[])
returns float8[]
language plpgsql
immutable
strict
set search_path = ''
as $$
declare
  c float8[] := array[v[1] - 0.5, v[2] - 0.5, v[3] - 0.5, v[4] - 0.5, v[5] - 0.5]::float8[];
  n float8;
begin
  n := sqrt(c[1] * c[1] + c[2] * c[2] + c[3] * c[3] + c[4] * c[4] + c[5] * c[5]);
  if n < 1e-9::float8 then
    return array[0, 0, 0, 0, 0]::float8[];
  end if;
  return array[c[1] / n, c[2] / n, c[3] / n, c[4] / n, c[5] / n];
end;
$$;

-- sim(u, v) = unit(u) · unit(v): the cosine about the indifference point,
-- 0 when either has no direction.
create function soundscape.sim (u float8[], v float8[])
returns float8
language plpgsql
immutable
strict
set search_path = ''
as $$
declare
  a float8[] := soundscape.unit(u);
  b float8[] := soundscape.unit(v);
begin
  return a[1] * b[1] + a[2] * b[2] + a[3] * b[3] + a[4] * b[4] + a[5] * b[5];
end;
$$;

-- The smallest sim(p_i, e) over the listeners' preferences @prefs (five
-- numbers each, one after the other); null when there is none.
create function soundscape.min_sim (prefs float8[], e float8[])
returns float8
language plpgsql
immutable
set search_path = ''
as $$
declare
  worst float8;
  s float8;
begin
  for i in 0 .. coalesce(cardinality(prefs), 0) / 5 - 1 loop
    s := soundscape.sim(prefs[i * 5 + 1 : i * 5 + 5], e);
    if worst is null or s < worst then
      worst := s;
    end if;
  end loop;
  return worst;
end;
$$;

-- The penalty of a song last started at @last: 2^(−Δt / 3600 s), Δt = @now
-- − @last (a start after @now counts as Δt = 0); 0 when never played.
create function soundscape.penalty (p_now timestamptz, p_last timestamptz)
returns float8
language sql
immutable
set search_path = ''
as $$
  select case when p_last is null then 0::float8
    else power(2::float8, -greatest(0::float8, extract(epoch from p_now - p_last)::float8) / 3600)
  end
$$;

-- unit(e)ᵀ M unit(e) for a 5×5 matrix M (25 numbers, row-major); 0 when M
-- is null or e has no direction.
create function soundscape.quad (m float8[], e float8[])
returns float8
language plpgsql
immutable
set search_path = ''
as $$
declare
  u float8[];
  r float8 := 0;
begin
  if m is null then
    return 0;
  end if;
  u := soundscape.unit(e);
  for i in 0 .. 4 loop
    for j in 0 .. 4 loop
      r := r + u[i + 1] * m[i * 5 + j + 1] * u[j + 1];
    end loop;
  end loop;
  return r;
end;
$$;

-- The ranking for one player at @p_now: the candidates (the player's
-- library if it has any row, else every song; never the song playing
-- now), scored by @p_strategy against the group vector @p_group or the
-- present listeners' preferences @p_prefs (five numbers each), minus the
-- penalty, plus the exploration bonus unit(e)ᵀ @p_m unit(e); the best
-- @p_k, ties by song id.
create function soundscape.rank_core (p_player uuid, p_k integer, p_strategy text,
  p_group float8[], p_prefs float8[], p_m float8[], p_now timestamptz)
returns table (song_id uuid, score float8)
language plpgsql
stable
set search_path = ''
as $$
declare
  has_library boolean;
  current_song uuid;
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
  with candidates as (
    select s.id, soundscape.vec(s.embedding) as e
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
  scored as (
    select c.id,
      case when p_strategy = 'least_misery' then soundscape.min_sim(p_prefs, c.e)
           else soundscape.sim(p_group, c.e) end as similarity,
      soundscape.min_sim(p_prefs, c.e) as worst,
      soundscape.penalty(p_now, ls.played_at) as penalty,
      soundscape.quad(p_m, c.e) as bonus
    from candidates c
    left join last_start ls on ls.song_id = c.id
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

-- The seed's function: the best @k songs for @player with the group
-- vector @avg_vector (strategy average, no exploration bonus), now.
create function public.recommend_with_penalty (avg_vector extensions.vector, player uuid,
  k integer default 5)
returns table (song_id uuid, score float8)
language sql
stable
security definer
set search_path = ''
as $$
  select r.song_id, r.score
  from soundscape.rank_core(player, k, 'average', soundscape.vec(avg_vector), null, null, now()) r
$$;
revoke all on function public.recommend_with_penalty(extensions.vector, uuid, integer)
  from public, anon, authenticated;

-- The learner (docs/learner.md). A state is 29 numbers: the 6×6
-- symmetric A as its upper triangle, row-major (21), b (6), S, s2.

-- Λ0 = diag(λb, λ, λ, λ, λ, λ) as a full 6×6 matrix, row-major.
create function soundscape.learner_prior ()
returns float8[]
language sql
immutable
set search_path = ''
as $$
  select array[2, 0, 0, 0, 0, 0,
               0, 0.5, 0, 0, 0, 0,
               0, 0, 0.5, 0, 0, 0,
               0, 0, 0, 0.5, 0, 0,
               0, 0, 0, 0, 0.5, 0,
               0, 0, 0, 0, 0, 0.5]::float8[]
$$;

-- The state's A as a full 6×6 matrix, row-major.
create function soundscape.learner_matrix (st float8[])
returns float8[]
language plpgsql
immutable
strict
set search_path = ''
as $$
declare
  a float8[] := array_fill(0::float8, array[36]);
  n integer := 1;
begin
  for i in 0 .. 5 loop
    for j in i .. 5 loop
      a[i * 6 + j + 1] := st[n];
      a[j * 6 + i + 1] := st[n];
      n := n + 1;
    end loop;
  end loop;
  return a;
end;
$$;

-- The Cholesky factor L (A = L Lᵀ, lower, row-major) of a full 6×6 A;
-- null when A is not positive definite.
create function soundscape.cholesky (a float8[])
returns float8[]
language plpgsql
immutable
strict
set search_path = ''
as $$
declare
  l float8[] := array_fill(0::float8, array[36]);
  s float8;
begin
  for i in 0 .. 5 loop
    for j in 0 .. i loop
      s := a[i * 6 + j + 1];
      for k in 0 .. j - 1 loop
        s := s - l[i * 6 + k + 1] * l[j * 6 + k + 1];
      end loop;
      if i = j then
        if not (s > 0) then
          return null;
        end if;
        l[i * 6 + i + 1] := sqrt(s);
      else
        l[i * 6 + j + 1] := s / l[j * 6 + j + 1];
      end if;
    end loop;
  end loop;
  return l;
end;
$$;

-- x with L Lᵀ x = @b (six numbers).
create function soundscape.cholesky_solve (l float8[], b float8[])
returns float8[]
language plpgsql
immutable
strict
set search_path = ''
as $$
declare
  y float8[] := array_fill(0::float8, array[6]);
  x float8[] := array_fill(0::float8, array[6]);
  s float8;
begin
  for i in 0 .. 5 loop
    s := b[i + 1];
    for k in 0 .. i - 1 loop
      s := s - l[i * 6 + k + 1] * y[k + 1];
    end loop;
    y[i + 1] := s / l[i * 6 + i + 1];
  end loop;
  for i in reverse 5 .. 0 loop
    s := y[i + 1];
    for k in i + 1 .. 5 loop
      s := s - l[k * 6 + i + 1] * x[k + 1];
    end loop;
    x[i + 1] := s / l[i * 6 + i + 1];
  end loop;
  return x;
end;
$$;

-- TRUE for a state the learner can continue from: 29 finite numbers,
-- S ≥ 0, s2 > 0, A positive definite.
create function soundscape.learner_state_ok (st float8[])
returns boolean
language plpgsql
immutable
set search_path = ''
as $$
begin
  if st is null or cardinality(st) <> 29 or array_ndims(st) <> 1 then
    return false;
  end if;
  for i in 1 .. 29 loop
    if st[i] is null or st[i] in ('NaN'::float8, 'Infinity'::float8, '-Infinity'::float8) then
      return false;
    end if;
  end loop;
  return st[28] >= 0 and st[29] > 0
    and soundscape.cholesky(soundscape.learner_matrix(st)) is not null;
end;
$$;

-- The state of a listener with preference @p and no state yet: A = Λ0,
-- b = Λ0·(0, 2(p − 0.5)), S = 0, s2 = s2₀ (which gives back exactly p).
-- A new listener is p = 0.5 everywhere.
create function soundscape.learner_from_preference (p float8[])
returns float8[]
language plpgsql
immutable
strict
set search_path = ''
as $$
begin
  return array[2, 0, 0, 0, 0, 0,
               0.5, 0, 0, 0, 0,
               0.5, 0, 0, 0,
               0.5, 0, 0,
               0.5, 0,
               0.5]::float8[]
    || array[0,
             0.5 * (2 * (p[1] - 0.5)), 0.5 * (2 * (p[2] - 0.5)), 0.5 * (2 * (p[3] - 0.5)),
             0.5 * (2 * (p[4] - 0.5)), 0.5 * (2 * (p[5] - 0.5))]::float8[]
    || array[0, 0.12]::float8[];
end;
$$;

-- The learner's output: w = A⁻¹b, u = (w1..w5), p = 0.5 + 0.5·u / max(1, maxᵢ |uᵢ|).
create function soundscape.learner_preference (st float8[])
returns float8[]
language plpgsql
immutable
strict
set search_path = ''
as $$
declare
  w float8[] := soundscape.cholesky_solve(soundscape.cholesky(soundscape.learner_matrix(st)),
                                          st[22:27]);
  m float8 := 1;
begin
  for i in 2 .. 6 loop
    m := greatest(m, abs(w[i]));
  end loop;
  return array[0.5 + 0.5 * w[2] / m, 0.5 + 0.5 * w[3] / m, 0.5 + 0.5 * w[4] / m,
               0.5 + 0.5 * w[5] / m, 0.5 + 0.5 * w[6] / m];
end;
$$;

-- One vote @v (1..5) on a song with embedding @e: the state after it.
create function soundscape.learner_step (st float8[], e float8[], v integer)
returns float8[]
language plpgsql
immutable
strict
set search_path = ''
as $$
declare
  u float8[] := soundscape.unit(e);
  x float8[];
  y float8 := (v - 3) / 2.0;
  a float8[] := soundscape.learner_matrix(st);
  prior float8[] := soundscape.learner_prior();
  b float8[] := st[22:27];
  s float8 := st[28];
  s2 float8 := st[29];
  l float8[];
  w float8[];
  z float8[];
  yhat float8 := 0;
  q float8 := 0;
  r2 float8;
  g float8;
  out_a float8[] := '{}';
begin
  if v < 1 or v > 5 then
    raise exception 'a vote is 1 to 5, not %', v using errcode = '22023';
  end if;
  if u = array[0, 0, 0, 0, 0]::float8[] then
    return st; -- a song with no character teaches nothing
  end if;
  x := array[1::float8] || u;
  -- 1. the prediction and its uncertainty, with A before the vote
  l := soundscape.cholesky(a);
  if l is null then
    raise exception 'a learner state whose matrix is not positive definite' using errcode = '22023';
  end if;
  w := soundscape.cholesky_solve(l, b);
  z := soundscape.cholesky_solve(l, x);
  for i in 1 .. 6 loop
    yhat := yhat + w[i] * x[i];
    q := q + x[i] * z[i];
  end loop;
  r2 := (y - yhat) * (y - yhat) / (1 + q);
  -- 2. the change detector (with the old s2), then the noise estimate
  s := greatest(0::float8, s + r2 / s2 - 2);
  s2 := greatest(0.02::float8, (1 - 0.05::float8) * s2 + 0.05::float8 * least(r2, 4 * s2));
  -- 3. a change of taste restarts from the prior
  if s > 15 then
    g := 0;
    s := 0;
  else
    g := 0.98;
  end if;
  -- 4. forget a little, add this vote
  for i in 0 .. 5 loop
    for j in i .. 5 loop
      out_a := out_a || (g * a[i * 6 + j + 1] + (1 - g) * prior[i * 6 + j + 1] + x[i + 1] * x[j + 1]);
    end loop;
  end loop;
  for i in 1 .. 6 loop
    b[i] := g * b[i] + y * x[i];
  end loop;
  return out_a || b || array[s, s2];
end;
$$;

-- The product of two 5×5 matrices (25 numbers each, row-major).
create function soundscape.mat5_mul (a float8[], b float8[])
returns float8[]
language plpgsql
immutable
strict
set search_path = ''
as $$
declare
  r float8[] := array_fill(0::float8, array[25]);
  acc float8;
begin
  for i in 0 .. 4 loop
    for j in 0 .. 4 loop
      acc := 0;
      for k in 0 .. 4 loop
        acc := acc + a[i * 5 + k + 1] * b[k * 5 + j + 1];
      end loop;
      r[i * 5 + j + 1] := acc;
    end loop;
  end loop;
  return r;
end;
$$;

-- The exploration matrix M = Π Σ Π of a state (25 numbers, row-major):
-- Σ = rows/columns 1..5 of A⁻¹, û = u/|u|, Π = I − ûûᵀ (I when |u| < 1e-9).
create function soundscape.learner_explore_matrix (st float8[])
returns float8[]
language plpgsql
immutable
strict
set search_path = ''
as $$
declare
  l float8[] := soundscape.cholesky(soundscape.learner_matrix(st));
  w float8[];
  col float8[];
  sigma float8[] := array_fill(0::float8, array[25]);
  proj float8[] := array_fill(0::float8, array[25]);
  m float8[];
  n float8;
begin
  w := soundscape.cholesky_solve(l, st[22:27]);
  for j in 1 .. 5 loop
    col := soundscape.cholesky_solve(l, array_fill(0::float8, array[j]) || array[1::float8]
                                        || array_fill(0::float8, array[5 - j]));
    for i in 1 .. 5 loop
      sigma[(i - 1) * 5 + j] := col[i + 1];
    end loop;
  end loop;
  n := sqrt(w[2] * w[2] + w[3] * w[3] + w[4] * w[4] + w[5] * w[5] + w[6] * w[6]);
  for i in 1 .. 5 loop
    for j in 1 .. 5 loop
      proj[(i - 1) * 5 + j] := case when i = j then 1 else 0 end
        - case when n < 1e-9::float8 then 0 else (w[i + 1] / n) * (w[j + 1] / n) end;
    end loop;
  end loop;
  m := soundscape.mat5_mul(soundscape.mat5_mul(proj, sigma), proj);
  return m;
end;
$$;

-- The ranking for @p_player from who is present at @p_now (active,
-- unexpired sessions there): the group vector, the strategy, and with
-- @p_explore = C > 0 the exploration bonus C · meanᵢ unit(e)ᵀ Mᵢ unit(e)
-- over the listeners that carry a learner state. Nobody present: strategy
-- average with the house vector @p_house, no bonus.
create function soundscape.rank_player (p_player uuid, p_k integer, p_strategy text,
  p_explore float8, p_house float8[], p_now timestamptz)
returns table (song_id uuid, score float8)
language plpgsql
stable
set search_path = ''
as $$
declare
  prefs float8[] := '{}';
  total float8[] := array[0, 0, 0, 0, 0]::float8[];
  m float8[];
  mi float8[];
  n integer := 0;
  n_state integer := 0;
  r record;
begin
  if p_explore is null or p_explore < 0 or p_explore > 3 then
    raise exception 'the exploration weight is 0 to 3' using errcode = '22023';
  end if;
  for r in
    select soundscape.vec(p.preference_vector) as pref, p.taste_state as st
    from public.sessions s
    join public.profiles p on p.id = s.user_id
    where s.player_id = p_player and s.status = 'active' and s.expires_at > p_now
    order by s.user_id
  loop
    prefs := prefs || r.pref;
    for i in 1 .. 5 loop
      total[i] := total[i] + r.pref[i];
    end loop;
    n := n + 1;
    if p_explore > 0 and soundscape.learner_state_ok(r.st) then
      mi := soundscape.learner_explore_matrix(r.st);
      if m is null then
        m := mi;
      else
        for i in 1 .. 25 loop
          m[i] := m[i] + mi[i];
        end loop;
      end if;
      n_state := n_state + 1;
    end if;
  end loop;
  if n = 0 then
    return query select * from soundscape.rank_core(p_player, p_k, 'average', p_house, null, null, p_now);
    return;
  end if;
  for i in 1 .. 5 loop
    total[i] := total[i] / n;
  end loop;
  if m is not null then
    for i in 1 .. 25 loop
      m[i] := p_explore * m[i] / n_state;
    end loop;
  end if;
  return query select * from soundscape.rank_core(p_player, p_k, p_strategy, total, prefs, m, p_now);
end;
$$;

-- The seed's gradient rule, kept as the benchmarks' baseline: preference
-- @p and momentum @m after vote @v on embedding @e, as ten numbers (p, m).
create function soundscape.seed_vote (p float8[], m float8[], e float8[], v integer)
returns float8[]
language plpgsql
immutable
strict
set search_path = ''
as $$
declare
  y float8 := (v - 3) / 2.0;
  cp float8[] := array[p[1] - 0.5, p[2] - 0.5, p[3] - 0.5, p[4] - 0.5, p[5] - 0.5]::float8[];
  ce float8[] := array[e[1] - 0.5, e[2] - 0.5, e[3] - 0.5, e[4] - 0.5, e[5] - 0.5]::float8[];
  np float8;
  ne float8;
  s float8;
  np2 float8[] := p;
  nm float8[] := m;
begin
  ne := sqrt(ce[1] * ce[1] + ce[2] * ce[2] + ce[3] * ce[3] + ce[4] * ce[4] + ce[5] * ce[5]);
  np := sqrt(cp[1] * cp[1] + cp[2] * cp[2] + cp[3] * cp[3] + cp[4] * cp[4] + cp[5] * cp[5]);
  if ne < 1e-9::float8 then
    return p || m;
  end if;
  if np < 1e-9::float8 then
    for i in 1 .. 5 loop
      np2[i] := least(1::float8, greatest(0::float8, p[i] + 0.12::float8 * y * ce[i] / ne));
    end loop;
    return np2 || m;
  end if;
  s := (cp[1] * ce[1] + cp[2] * ce[2] + cp[3] * ce[3] + cp[4] * ce[4] + cp[5] * ce[5]) / (np * ne);
  for i in 1 .. 5 loop
    nm[i] := 0.7::float8 * m[i] + (s - y) * (ce[i] / (np * ne) - s * cp[i] / (np * np));
    np2[i] := least(1::float8, greatest(0::float8, p[i] - 0.12::float8 * nm[i]));
  end loop;
  return np2 || nm;
end;
$$;

-- The vote trigger: a vote moves its listener's taste by the learner, on
-- the server, in the order the server receives votes (from a kiosk's
-- sync or from the web). A profile without a usable state starts from its
-- preference. A song with no character changes nothing.
create function soundscape.votes_learn ()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  e float8[];
  pref float8[];
  st float8[];
  next_st float8[];
begin
  select soundscape.vec(s.embedding) into e from public.songs s where s.id = new.song_id;
  select soundscape.vec(p.preference_vector), p.taste_state into pref, st
    from public.profiles p where p.id = new.user_id for update;
  if not soundscape.learner_state_ok(st) then
    st := soundscape.learner_from_preference(pref);
  end if;
  next_st := soundscape.learner_step(st, e, new.vote_value);
  if next_st is distinct from st then
    update public.profiles
      set taste_state = next_st,
          preference_vector = soundscape.learner_preference(next_st)::extensions.vector
      where id = new.user_id;
  end if;
  return null;
end;
$$;

create trigger votes_learn after insert on public.votes
  for each row execute function soundscape.votes_learn();

revoke all on all functions in schema soundscape from public;
grant execute on function soundscape.has_role(text) to anon, authenticated;
