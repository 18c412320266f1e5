// The official Supabase client against the test gateway, as the seed's web
// app and a poll-only player use a project: the gateway must answer what a
// real Supabase client sends as PostgREST would. Run by test-gateway with
// SK_URL, SK_ANON_KEY, SK_USER_JWT, SK_USER_ID, SK_SONG_ID and
// SK_PLAYER_TOKEN; prints one line per check and exits 1 on the first that
// fails.
import { createClient } from '@supabase/supabase-js';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const options = { auth: { persistSession: false, autoRefreshToken: false } };
const anon = createClient(env('SK_URL'), env('SK_ANON_KEY'), options);
const user = createClient(env('SK_URL'), env('SK_ANON_KEY'), {
  ...options,
  global: { headers: { Authorization: `Bearer ${env('SK_USER_JWT')}` } },
});

function check(what, ok, detail) {
  console.log(`${ok ? 'ok' : 'FAILED'}: ${what}${detail ? ` (${JSON.stringify(detail)})` : ''}`);
  if (!ok) process.exit(1);
}

// a poll-only player: its queue by its token, as Django's endpoint gave it
{
  const { data, error } = await anon.rpc('player_queue_for', { p_token: env('SK_PLAYER_TOKEN') });
  check('rpc player_queue_for answers the queue', error === null && Array.isArray(data), error);
}
{
  const { data, error } = await anon.rpc('player_queue_for', { p_token: 'nobody-has-this' });
  check('an unknown token is refused with PT403', data === null && error?.code === 'PT403', error);
}
// the web app: a vote inserted as the signed-in listener, and read back
{
  const row = { user_id: env('SK_USER_ID'), song_id: env('SK_SONG_ID'), vote_value: 5 };
  const { data, error } = await user.from('votes').insert(row).select();
  check('a vote inserted as the signed-in user', error === null && data?.length === 1 &&
        data[0].vote_value === 5 && typeof data[0].id === 'string', error);
}
{
  const row = { user_id: '5a0e6a2e-0000-4000-8000-000000000002', song_id: env('SK_SONG_ID'),
                vote_value: 1 };
  const { error } = await user.from('votes').insert(row);
  check('a vote for someone else is refused by RLS', error?.code === '42501', error);
}
// what row level security keeps from everyone: the players' tokens
{
  const { data, error } = await anon.from('players').select('token');
  check('anon cannot read players.token', data === null && error?.code === '42501', error);
}
{
  const { error } = await user.from('players').select('token');
  check('a signed-in user cannot read players.token', error?.code === '42501', error);
}
{
  const { data, error } = await anon.from('players').select('name,status').eq('name', 'Venue One');
  check("a player's status is public", error === null && data?.length === 1 &&
        data[0].status === 'idle', error);
}
