/* sk-defaults.h: every default and limit that the settings table
 * (sk-settings.c) and the code share, stated once.
 *
 * The table takes its text defaults from these with G_STRINGIFY, so each
 * is a plain literal (no parentheses, no arithmetic): "5", "-23", "1.5".
 * The code uses the same names where it needs a value before the settings
 * are read (an engine's first queue length, a new player's crossfade). */
#pragma once

/* queue_k: how many songs the queue holds */
#define SK_QUEUE_DEFAULT_K 5
#define SK_QUEUE_MAX_K 50
/* explore_weight: the learner's exploration bonus */
#define SK_EXPLORE_WEIGHT_DEFAULT 1.5
#define SK_EXPLORE_MAX 3.0
/* session_minutes: how long a check-in lasts */
#define SK_SESSION_MINUTES_DEFAULT 60
#define SK_SESSION_LENGTH_DEFAULT (SK_SESSION_MINUTES_DEFAULT * 60) /* seconds */
/* tap_limit_per_minute: taps of one badge accepted in a minute (0: none) */
#define SK_TAP_LIMIT_DEFAULT 6
/* crossfade_seconds, volume */
#define SK_PLAYBACK_CROSSFADE_DEFAULT 5
#define SK_PLAYBACK_CROSSFADE_MAX 12
#define SK_PLAYBACK_VOLUME_DEFAULT 1
/* loudness_target_lufs: EBU R128's own -23 (sk-import.h says why) */
#define SK_LOUDNESS_TARGET_DEFAULT -23
#define SK_LOUDNESS_TARGET_MIN -40
#define SK_LOUDNESS_TARGET_MAX -5
/* How long a connection waits for another's write lock before "busy", in
 * ms (sk-store.c; SK_STORE_BUSY_TIMEOUT_MS overrides it for tests and
 * diagnosis, docs/DESIGN.md, "Data model") */
#define SK_STORE_BUSY_TIMEOUT_MS 5000
#define SK_STORE_BUSY_TIMEOUT_MAX_MS 600000

/* The audio files the kiosk takes: the importer refuses, and the player
 * will not play, anything with more channels or another sample rate. */
#define SK_AUDIO_MAX_CHANNELS 8
#define SK_AUDIO_MIN_RATE 8000
#define SK_AUDIO_MAX_RATE 192000
