-- Test only, never applied to Supabase (which has its own): what the
-- migrations in sql/ expect of a Supabase project, on a bare PostgreSQL.
--   the roles anon, authenticated and service_role, as PostgREST switches
--     to them (SET ROLE), service_role bypassing row level security;
--   auth.users, and auth.uid(), auth.role(), auth.jwt() reading the
--     claims PostgREST puts in the setting request.jwt.claims (the whole
--     claim set as JSON), as Supabase's functions do.

create role anon nologin noinherit;
create role authenticated nologin noinherit;
create role service_role nologin noinherit bypassrls;
grant anon, authenticated, service_role to current_user;

create schema auth;
grant usage on schema auth to anon, authenticated, service_role;

create table auth.users (
  id uuid primary key default gen_random_uuid(),
  email text unique,
  is_anonymous boolean not null default false,
  created_at timestamptz not null default now()
);

create function auth.jwt ()
returns jsonb
language sql
stable
as $$
  select coalesce(nullif(current_setting('request.jwt.claims', true), ''), '{}')::jsonb
$$;

create function auth.uid ()
returns uuid
language sql
stable
as $$
  select nullif(auth.jwt() ->> 'sub', '')::uuid
$$;

create function auth.role ()
returns text
language sql
stable
as $$
  select nullif(auth.jwt() ->> 'role', '')
$$;

grant execute on function auth.jwt(), auth.uid(), auth.role() to anon, authenticated, service_role;

-- Supabase grants the API roles the public schema and, by default
-- privileges, every table and function made in it; the migrations take
-- back what they must not have.
grant usage on schema public to anon, authenticated, service_role;
alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;
