-- Test only: a stand-in for pgvector's type where pgvector is not
-- installed (Debian 12 packages PostgreSQL 15 without it), for the tests
-- that need a real PostgreSQL server with several sessions
-- (test-cursor-pg15) and look at anything but vectors. It is text in
-- pgvector's form "[a,b,…]", with what the migrations use of pgvector:
-- the type with a length (vector(5)), the casts to real[] and from
-- float8[], and avg(). Built from PostgreSQL's own text functions, so it
-- needs the superuser; the test applies it, then the migrations with
-- their "create extension vector" left out.
create schema if not exists extensions;

create type extensions.vector;
create function extensions.vector_in (cstring, oid, integer)
returns extensions.vector language internal immutable strict as 'textin';
create function extensions.vector_out (extensions.vector)
returns cstring language internal immutable strict as 'textout';
create function extensions.vector_typmod_in (cstring[])
returns integer language internal immutable strict as 'varchartypmodin';
create function extensions.vector_typmod_out (integer)
returns cstring language internal immutable strict as 'varchartypmodout';
create type extensions.vector (
  input = extensions.vector_in,
  output = extensions.vector_out,
  typmod_in = extensions.vector_typmod_in,
  typmod_out = extensions.vector_typmod_out,
  internallength = variable,
  storage = extended,
  alignment = int4
);

create function extensions.vector_to_real (v extensions.vector)
returns real[] language sql immutable strict
as $$ select ('{' || pg_catalog.btrim(v::text, '[]') || '}')::real[] $$;
create cast (extensions.vector as real[]) with function extensions.vector_to_real (extensions.vector);

create function extensions.float8_to_vector (a float8[])
returns extensions.vector language sql immutable strict
as $$ select ('[' || pg_catalog.array_to_string(a, ',') || ']')::extensions.vector $$;
create cast (float8[] as extensions.vector) with function extensions.float8_to_vector (float8[]);

-- avg(): the sums of the components, then the count, in one array.
create function extensions.vector_avg_step (s float8[], v extensions.vector)
returns float8[] language plpgsql immutable
as $$
declare
  e real[] := v::real[];
  n integer := pg_catalog.cardinality(e);
begin
  if v is null then
    return s;
  end if;
  if s is null then
    s := pg_catalog.array_fill(0::float8, array[n + 1]);
  end if;
  for i in 1 .. n loop
    s[i] := s[i] + e[i];
  end loop;
  s[n + 1] := s[n + 1] + 1;
  return s;
end;
$$;
create function extensions.vector_avg_final (s float8[])
returns extensions.vector language sql immutable strict
as $$
  select ('[' || pg_catalog.string_agg((s[i] / s[pg_catalog.cardinality(s)])::text, ',' order by i)
          || ']')::extensions.vector
  from pg_catalog.generate_series(1, pg_catalog.cardinality(s) - 1) i
$$;
create aggregate extensions.avg (extensions.vector) (
  sfunc = extensions.vector_avg_step,
  stype = float8[],
  finalfunc = extensions.vector_avg_final
);
