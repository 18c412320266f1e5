#!/usr/bin/env python3
"""Reference implementation of the soundscape-kiosk recommender and taste update,
and the generator of the shared test cases in tests/data/.

The committed JSON files are the source of truth that the C tests and the SQL tests
read.  This script documents how they were made and re-checks them.  It is an
independent implementation of docs/DESIGN.md, section "Recommendation (the one
definition; C and SQL must agree to 1e-6)" and its learner ("The learner"); it
shares no code with src/ (the learner's linear algebra here is Gaussian
elimination with partial pivoting on the full matrix, not a Cholesky factor).

Usage (from anywhere):
    python3 tests/data/make-cases.py --check   # recompute, compare every file (1e-9); exit 1 on mismatch
    python3 tests/data/make-cases.py --write   # regenerate rank/*.json and vote/*.json and bad/*.json

Standard library only.
"""

import argparse
import datetime
import json
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
RANK_DIR = os.path.join(HERE, "rank")
VOTE_DIR = os.path.join(HERE, "vote")
BAD_DIR = os.path.join(HERE, "bad")

# ---------------------------------------------------------------------------
# The definition (docs/DESIGN.md "Recommendation")
# ---------------------------------------------------------------------------

DIMS = 5                   # rain, wind, fire, thunder, waves
MIDPOINT = 0.5             # indifference
NORM_EPS = 1e-9            # a centred norm below this has no direction: similarity 0
PENALTY_LAMBDA = 1.0       # λ
HALF_LIFE_S = 3600.0       # h = 60 minutes, in seconds
MISERY_THRESHOLD = -0.3    # average_without_misery drops sim strictly below this
ALPHA = 0.12               # step
BETA = 0.7                 # momentum
STRATEGIES = ("average", "least_misery", "average_without_misery")
NEUTRAL = [0.5, 0.5, 0.5, 0.5, 0.5]

# The learner (docs/DESIGN.md, "The learner")
LAMBDA = 0.5               # prior precision of the taste
LAMBDA_BIAS = 2.0          # prior precision of the bias
GAMMA = 0.98               # forgetting
KAPPA = 2.0                # the change detector's allowance
H = 15.0                   # the change detector's threshold
RHO = 0.05                 # the residual variance's rate
S2_0 = 0.12                # its start
S2_MIN = 0.02              # its floor
N6 = DIMS + 1              # x = (1, Ê): the bias, then the five dimensions
STATE_LEN = N6 * (N6 + 1) // 2 + N6 + 2   # 29
EXPLORE_MAX = 3.0

CHECK_TOL = 1e-9           # --check: files vs recomputation
CONSUMER_TOL = 1e-6        # what the C and SQL tests use (README)
FRAGILE = 1e-4             # refuse cases whose outcome hinges on a difference below this


def centre(v):
    return [x - MIDPOINT for x in v]


def norm(v):
    return math.sqrt(sum(x * x for x in v))


def dot(a, b):
    return sum(x * y for x, y in zip(a, b))


def sim(u, v):
    """Centred cosine; 0 when either centred norm is below 1e-9."""
    cu, cv = centre(u), centre(v)
    nu, nv = norm(cu), norm(cv)
    if nu < NORM_EPS or nv < NORM_EPS:
        return 0.0
    return dot(cu, cv) / (nu * nv)


def sim_is_degenerate(u, v):
    return norm(centre(u)) < NORM_EPS or norm(centre(v)) < NORM_EPS


def parse_time(s):
    """ISO-8601 UTC with a trailing Z, optional fractional seconds."""
    if not isinstance(s, str) or not s.endswith("Z"):
        raise CaseError("time", "timestamp must be an ISO-8601 string ending in Z: %r" % (s,))
    try:
        t = datetime.datetime.fromisoformat(s[:-1] + "+00:00")
    except ValueError:
        raise CaseError("time", "bad timestamp %r" % (s,))
    return t


def penalty(now, last_start):
    """λ·2^(−Δt/h), Δt in seconds since the last start; 0 if never played; Δt<0 → 0."""
    if last_start is None:
        return 0.0
    dt = (now - last_start).total_seconds()
    if dt < 0:
        dt = 0.0
    return PENALTY_LAMBDA * math.pow(2.0, -dt / HALF_LIFE_S)


def group_vector(preferences, house_vector):
    if not preferences:
        return list(house_vector)
    n = len(preferences)
    return [sum(p[i] for p in preferences) / n for i in range(DIMS)]


def rank_all(case):
    """Every candidate with its score, in queue order.  Returns a list of dicts
    {song_id, score, sim, penalty, tie_key} (the extra keys are for the fragility checks)."""
    now = parse_time(case["now"])
    songs = {s["id"]: s["embedding"] for s in case["songs"]}
    song_order = [s["id"] for s in case["songs"]]

    last = {}
    for h in case["history"]:
        t = parse_time(h["played_at"])
        if h["song_id"] not in last or t > last[h["song_id"]]:
            last[h["song_id"]] = t

    if case["library"]:
        lib = set(case["library"])
        candidates = [sid for sid in song_order if sid in lib]
    else:
        candidates = list(song_order)
    candidates = [sid for sid in candidates if sid != case["current_song_id"]]

    prefs = [l["preference"] for l in case["listeners"]]
    group = group_vector(prefs, case["house_vector"])
    strategy = case["strategy"]
    if not prefs:
        strategy = "average"  # nobody present: every strategy uses the house vector

    def similarity(e):
        if strategy == "least_misery":
            vals = [(sim(p, e), sim_is_degenerate(p, e)) for p in prefs]
            m = min(v for v, _ in vals)
            degenerate = any(d and v == m for v, d in vals)
            return m, (("zero",) if degenerate else ("emb", tuple(e)))
        s = sim(group, e)
        return s, (("zero",) if sim_is_degenerate(group, e) else ("emb", tuple(e)))

    if strategy == "average_without_misery":
        kept = [sid for sid in candidates
                if not any(sim(p, songs[sid]) < MISERY_THRESHOLD for p in prefs)]
        if kept:
            candidates = kept

    rows = []
    for sid in candidates:
        s, key = similarity(songs[sid])
        pen = penalty(now, last.get(sid))
        bonus = explore_bonus(case, songs[sid]) if prefs else 0.0
        rows.append({"song_id": sid, "score": s - pen + bonus, "sim": s, "penalty": pen,
                     "tie_key": (key, last.get(sid))})
    # score descending, then id ascending byte-wise (UTF-8 bytes)
    rows.sort(key=lambda r: (-r["score"], r["song_id"].encode("utf-8")))
    return rows


def rank(case):
    return [{"song_id": r["song_id"], "score": r["score"]} for r in rank_all(case)[:case["k"]]]


def clamp01(x):
    return 0.0 if x < 0.0 else 1.0 if x > 1.0 else x


def vote_update(p, m, e, v):
    """One gradient step.  Returns (new preference, new momentum)."""
    y = (v - 3) / 2.0
    P, E = centre(p), centre(e)
    nP, nE = norm(P), norm(E)
    if nE < NORM_EPS:
        return list(p), list(m)
    if nP < NORM_EPS:
        return [clamp01(p[i] + ALPHA * y * E[i] / nE) for i in range(DIMS)], list(m)
    s = dot(P, E) / (nP * nE)
    g = [(s - y) * (E[i] / (nP * nE) - s * P[i] / (nP * nP)) for i in range(DIMS)]
    m2 = [BETA * m[i] + g[i] for i in range(DIMS)]
    p2 = [clamp01(p[i] - ALPHA * m2[i]) for i in range(DIMS)]
    return p2, m2


# ---------------------------------------------------------------------------
# The learner: Bayesian regression of (v − 3)/2 on (1, Ê) with forgetting and
# a change detector.  The state is a dict here; it is written as the 29
# numbers of the definition (A's upper triangle row-major, b, S, s2).
# ---------------------------------------------------------------------------

def prior():
    return [LAMBDA_BIAS] + [LAMBDA] * DIMS


def state_new():
    lam = prior()
    A = [[lam[i] if i == j else 0.0 for j in range(N6)] for i in range(N6)]
    return {"A": A, "b": [0.0] * N6, "S": 0.0, "s2": S2_0}


def state_from_preference(p):
    st = state_new()
    lam = prior()
    st["b"] = [0.0] + [lam[i + 1] * 2.0 * (p[i] - MIDPOINT) for i in range(DIMS)]
    return st


def state_to_list(st):
    out = []
    for i in range(N6):
        for j in range(i, N6):
            out.append(st["A"][i][j])
    return out + list(st["b"]) + [st["S"], st["s2"]]


def state_from_list(v):
    A = [[0.0] * N6 for _ in range(N6)]
    k = 0
    for i in range(N6):
        for j in range(i, N6):
            A[i][j] = A[j][i] = v[k]
            k += 1
    return {"A": A, "b": list(v[k:k + N6]), "S": v[k + N6], "s2": v[k + N6 + 1]}


def solve(A, rhs):
    """A x = rhs by Gaussian elimination with partial pivoting."""
    n = len(rhs)
    M = [list(A[i]) + [rhs[i]] for i in range(n)]
    for c in range(n):
        piv = max(range(c, n), key=lambda r: abs(M[r][c]))
        if abs(M[piv][c]) < 1e-300:
            raise CaseError("state", "the state's matrix is singular")
        M[c], M[piv] = M[piv], M[c]
        for r in range(c + 1, n):
            f_ = M[r][c] / M[c][c]
            for j in range(c, n + 1):
                M[r][j] -= f_ * M[c][j]
    x = [0.0] * n
    for r in range(n - 1, -1, -1):
        x[r] = (M[r][n] - sum(M[r][j] * x[j] for j in range(r + 1, n))) / M[r][r]
    return x


def positive_definite(A):
    """Sylvester's criterion: every leading principal minor > 0 (by elimination)."""
    n = len(A)
    M = [list(r) for r in A]
    for c in range(n):
        if not M[c][c] > 0.0:
            return False
        for r in range(c + 1, n):
            f_ = M[r][c] / M[c][c]
            for j in range(c, n):
                M[r][j] -= f_ * M[c][j]
    return True


def learner_preference(st):
    w = solve(st["A"], st["b"])
    u = w[1:]
    top = max([1.0] + [abs(x) for x in u])
    return [MIDPOINT + 0.5 * x / top for x in u]


def learn(st, e, v, trace=None):
    """One vote on a copy of the state.  Returns (state, preference or None
    when nothing changed).  @trace, a list, collects the change detector's
    candidate sums (for the fragility check) and whether it fired."""
    E = centre(e)
    nE = norm(E)
    if nE < NORM_EPS:
        return st, None
    x = [1.0] + [c / nE for c in E]
    y = (v - 3) / 2.0
    w = solve(st["A"], st["b"])
    yhat = dot(w, x)
    q = dot(x, solve(st["A"], x))
    r2 = (y - yhat) ** 2 / (1.0 + q)
    S = max(0.0, st["S"] + r2 / st["s2"] - KAPPA)
    s2 = max(S2_MIN, (1.0 - RHO) * st["s2"] + RHO * min(r2, 4.0 * st["s2"]))
    fired = S > H
    if trace is not None:
        trace.append((S, fired))
    if fired:
        g, S = 0.0, 0.0
    else:
        g = GAMMA
    lam = prior()
    A = [[g * st["A"][i][j] + ((1.0 - g) * lam[i] if i == j else 0.0) + x[i] * x[j]
          for j in range(N6)] for i in range(N6)]
    b = [g * st["b"][i] + y * x[i] for i in range(N6)]
    new = {"A": A, "b": b, "S": S, "s2": s2}
    return new, learner_preference(new)


def learn_case(c, trace=None):
    """A learner case's answer: {"preference", "state"}."""
    if "state" in c:
        st = state_from_list(c["state"])
    elif "preference" in c:
        st = state_from_preference(c["preference"])
    else:
        st = state_new()
    p = list(c["preference"]) if "preference" in c else list(NEUTRAL)
    for vt in c["votes"]:
        st, newp = learn(st, vt["embedding"], vt["vote"], trace)
        if newp is not None:
            p = newp
    return {"preference": p, "state": state_to_list(st)}


def explore_matrix(st):
    """M = Π Σ Π: Σ the taste block of A⁻¹, Π the projection away from u."""
    inv_cols = []
    for j in range(1, N6):
        unit = [1.0 if i == j else 0.0 for i in range(N6)]
        inv_cols.append(solve(st["A"], unit))
    Sigma = [[inv_cols[j][i + 1] for j in range(DIMS)] for i in range(DIMS)]
    u = solve(st["A"], st["b"])[1:]
    nu = norm(u)
    uh = [x / nu for x in u] if nu >= NORM_EPS else [0.0] * DIMS
    P = [[(1.0 if i == j else 0.0) - uh[i] * uh[j] for j in range(DIMS)] for i in range(DIMS)]
    PS = [[sum(P[i][k] * Sigma[k][j] for k in range(DIMS)) for j in range(DIMS)] for i in range(DIMS)]
    return [[sum(PS[i][k] * P[k][j] for k in range(DIMS)) for j in range(DIMS)] for i in range(DIMS)]


def explore_bonus(case, e):
    """C · meanᵢ Êᵀ Mᵢ Ê over the listeners that carry a state; 0 without any."""
    C = case.get("explore", 0.0)
    states = [l["state"] for l in case["listeners"] if "state" in l]
    E = centre(e)
    nE = norm(E)
    if C == 0.0 or not states or nE < NORM_EPS:
        return 0.0
    Eh = [x / nE for x in E]
    total = 0.0
    for s in states:
        M = explore_matrix(state_from_list(s))
        total += sum(Eh[i] * M[i][j] * Eh[j] for i in range(DIMS) for j in range(DIMS))
    return C * total / len(states)


# ---------------------------------------------------------------------------
# Validation (what a consumer must refuse; also applied to every good case)
# ---------------------------------------------------------------------------

class CaseError(Exception):
    def __init__(self, kind, msg):
        super().__init__(msg)
        self.kind = kind


def _reject_constant(name):
    raise CaseError("not-json", "not JSON: bare %s" % name)


def load_json_text(text):
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as ex:
        raise CaseError("not-json", "not JSON: %s" % ex)


def check_number(x, what, lo=None, hi=None):
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise CaseError("not-a-number", "%s: %r is not a number" % (what, x))
    if not math.isfinite(x):
        raise CaseError("non-finite", "%s: %r is not finite" % (what, x))
    if (lo is not None and x < lo) or (hi is not None and x > hi):
        raise CaseError("out-of-range", "%s: %r outside [%s, %s]" % (what, x, lo, hi))


def check_vector(v, what, bounded=True):
    if not isinstance(v, list):
        raise CaseError("not-a-vector", "%s is not an array" % what)
    for i, x in enumerate(v):
        check_number(x, "%s[%d]" % (what, i), 0.0 if bounded else None, 1.0 if bounded else None)
    if len(v) != DIMS:
        raise CaseError("wrong-dimension", "%s has %d numbers, not %d" % (what, len(v), DIMS))


def require_keys(obj, keys, what):
    if not isinstance(obj, dict):
        raise CaseError("shape", "%s is not an object" % what)
    missing = [k for k in keys if k not in obj]
    if missing:
        raise CaseError("shape", "%s lacks %s" % (what, ", ".join(missing)))


RANK_KEYS = ["description", "now", "strategy", "k", "house_vector", "explore", "listeners", "songs",
             "library", "history", "current_song_id", "expect"]
RANK_OPTIONAL = {"explore"}
VOTE_KEYS = ["description", "learner", "preference", "momentum", "embedding", "vote", "expect"]
VOTE_OPTIONAL = {"learner"}
LEARN_KEYS = ["description", "learner", "preference", "state", "votes", "expect"]
LEARN_OPTIONAL = {"preference", "state"}
LEARNERS = ("seed", "bayes")


def check_state(v, what):
    if not isinstance(v, list):
        raise CaseError("not-a-vector", "%s is not an array" % what)
    for i, x in enumerate(v):
        check_number(x, "%s[%d]" % (what, i))
    if len(v) != STATE_LEN:
        raise CaseError("wrong-dimension", "%s has %d numbers, not %d" % (what, len(v), STATE_LEN))
    st = state_from_list(v)
    if not st["S"] >= 0.0 or not st["s2"] > 0.0 or not positive_definite(st["A"]):
        raise CaseError("bad-state", "%s is not a learner state (S >= 0, s2 > 0, A positive definite)"
                        % what)


def validate_vote_value(v):
    if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 5:
        raise CaseError("bad-vote", "vote must be an integer 1..5, got %r" % (v,))


def validate_learn(c):
    require_keys(c, [k for k in LEARN_KEYS if k not in LEARN_OPTIONAL], "learner case")
    if c["learner"] != "bayes":
        raise CaseError("unknown-learner", "unknown learner %r" % (c["learner"],))
    if "preference" in c:
        check_vector(c["preference"], "preference")
    if "state" in c:
        check_state(c["state"], "state")
    if not isinstance(c["votes"], list):
        raise CaseError("shape", "votes must be an array")
    for i, vt in enumerate(c["votes"]):
        require_keys(vt, ["embedding", "vote"], "votes[%d]" % i)
        check_vector(vt["embedding"], "votes[%d].embedding" % i)
        validate_vote_value(vt["vote"])


def validate_rank(c):
    require_keys(c, [k for k in RANK_KEYS if k not in RANK_OPTIONAL], "rank case")
    parse_time(c["now"])
    if c["strategy"] not in STRATEGIES:
        raise CaseError("unknown-strategy", "unknown strategy %r" % (c["strategy"],))
    if isinstance(c["k"], bool) or not isinstance(c["k"], int) or c["k"] < 1:
        raise CaseError("bad-k", "k must be an integer >= 1")
    check_vector(c["house_vector"], "house_vector")
    if "explore" in c:
        check_number(c["explore"], "explore", 0.0, EXPLORE_MAX)
    for i, l in enumerate(c["listeners"]):
        require_keys(l, ["id", "preference"], "listener %d" % i)
        check_vector(l["preference"], "listeners[%d].preference" % i)
        if "state" in l:
            check_state(l["state"], "listeners[%d].state" % i)
    ids = set()
    for i, s in enumerate(c["songs"]):
        require_keys(s, ["id", "embedding"], "song %d" % i)
        check_vector(s["embedding"], "songs[%d].embedding" % i)
        if s["id"] in ids:
            raise CaseError("shape", "duplicate song id %r" % s["id"])
        ids.add(s["id"])
    for i, h in enumerate(c["history"]):
        require_keys(h, ["song_id", "played_at"], "history %d" % i)
        parse_time(h["played_at"])
    if c["current_song_id"] is not None and not isinstance(c["current_song_id"], str):
        raise CaseError("shape", "current_song_id must be null or a string")
    if not isinstance(c["library"], list) or not all(isinstance(x, str) for x in c["library"]):
        raise CaseError("shape", "library must be an array of ids")


def validate_vote(c):
    if "learner" in c and c["learner"] != "seed":
        return validate_learn(c)
    require_keys(c, [k for k in VOTE_KEYS if k not in VOTE_OPTIONAL], "vote case")
    check_vector(c["preference"], "preference")
    check_vector(c["momentum"], "momentum", bounded=False)
    check_vector(c["embedding"], "embedding")
    validate_vote_value(c["vote"])


# ---------------------------------------------------------------------------
# Fragility checks: a case must not hinge on differences the C (double) or the
# SQL (pgvector stores float4) side could legitimately round differently.
# ---------------------------------------------------------------------------

def check_robust(name, case):
    problems = []
    rows = rank_all(case)
    k = case["k"]
    for i in range(min(k, len(rows) - 1)):
        a, b = rows[i], rows[i + 1]
        d = a["score"] - b["score"]
        if d == 0.0:
            if a["tie_key"][1] != b["tie_key"][1] or \
               (a["tie_key"][0] != b["tie_key"][0]) or \
               a["penalty"] != b["penalty"]:
                problems.append("%s: tie between %s and %s is not exact by construction"
                                % (name, a["song_id"], b["song_id"]))
        elif d < FRAGILE:
            problems.append("%s: %s and %s differ by only %.3g" % (name, a["song_id"], b["song_id"], d))
    # accidental orthogonality: a similarity that is 0 only up to rounding (e.g. 1e-17)
    group = group_vector([l["preference"] for l in case["listeners"]], case["house_vector"])
    for who, p in [("group", group)] + [(l["id"], l["preference"]) for l in case["listeners"]]:
        for s in case["songs"]:
            x = sim(p, s["embedding"])
            if not sim_is_degenerate(p, s["embedding"]) and abs(x) < FRAGILE:
                problems.append("%s: sim(%s, %s) = %r is 0 only by accident of rounding"
                                % (name, who, s["id"], x))
    if case["strategy"] == "average_without_misery":
        for l in case["listeners"]:
            for s in case["songs"]:
                x = sim(l["preference"], s["embedding"])
                if abs(x - MISERY_THRESHOLD) < FRAGILE:
                    problems.append("%s: sim(%s, %s) = %r is at the misery threshold"
                                    % (name, l["id"], s["id"], x))
    return problems


# ---------------------------------------------------------------------------
# The cases
# ---------------------------------------------------------------------------

NOW = "2024-05-01T12:00:00Z"


def ago(seconds, now=NOW):
    """ISO-8601 Z timestamp `seconds` before `now` (whole or fractional seconds)."""
    t = parse_time(now) - datetime.timedelta(seconds=seconds)
    if t.microsecond:
        assert t.microsecond % 1000 == 0, "milliseconds at most"
        return t.strftime("%Y-%m-%dT%H:%M:%S") + ".%03dZ" % (t.microsecond // 1000)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def f(v):
    return [float(x) for x in v]


# Listeners (taste vectors: rain, wind, fire, thunder, waves)
L = {
    "ada": f([0.9, 0.1, 0.4, 0.2, 0.8]),   # the seed's example listener
    "ben": f([0.2, 0.8, 0.3, 0.7, 0.4]),
    "cai": f([0.6, 0.5, 0.9, 0.3, 0.5]),
    "dee": f([0.5, 0.5, 0.5, 0.5, 0.5]),   # no opinion yet
    "eli": f([0.1, 0.3, 0.7, 0.2, 0.9]),
    "fay": f([0.8, 0.6, 0.2, 0.9, 0.3]),
    "gus": f([0.4, 0.2, 0.6, 0.5, 0.7]),
    "hal": f([0.7, 0.9, 0.1, 0.4, 0.6]),
}

# A venue crowd: broadly similar tastes (rain and waves) with one dissenter and one newcomer
CROWD = {
    "ada": f([0.9, 0.1, 0.4, 0.2, 0.8]),
    "bo":  f([0.7, 0.3, 0.45, 0.3, 0.9]),
    "cy":  f([0.8, 0.4, 0.6, 0.2, 0.6]),
    "dee": f([0.5, 0.5, 0.5, 0.5, 0.5]),
    "eve": f([0.6, 0.2, 0.35, 0.4, 0.9]),
    "fin": f([0.4, 0.65, 0.6, 0.5, 0.6]),
    "gil": f([0.7, 0.5, 0.4, 0.55, 0.7]),
    "ivy": f([0.9, 0.3, 0.5, 0.1, 0.5]),
}

# Songs (embeddings), short ids
S = {
    "rain-on-tin-roof": f([0.9, 0.3, 0.2, 0.4, 0.4]),
    "coastal-gale":     f([0.3, 0.9, 0.1, 0.3, 0.8]),
    "campfire":         f([0.2, 0.2, 0.9, 0.1, 0.3]),
    "night-storm":      f([0.7, 0.7, 0.1, 0.95, 0.3]),
    "harbour-waves":    f([0.3, 0.4, 0.2, 0.1, 0.95]),
    "desert-wind":      f([0.05, 0.8, 0.6, 0.2, 0.1]),
    "hearth-and-rain":  f([0.7, 0.2, 0.8, 0.2, 0.3]),
    "thunder-sea":      f([0.4, 0.6, 0.1, 0.8, 0.9]),
    "still-room":       f([0.5, 0.5, 0.5, 0.5, 0.5]),  # no character
    "drizzle":          f([0.6, 0.4, 0.5, 0.45, 0.55]),
}

SEED_SONG = "7b1d3c52-9a4e-4f0b-8c1e-2d6f5a9b0e13"
SEED_EMB = f([0.8, 0.2, 0.1, 0.3, 0.7])

# Real UUIDs (lower-case, so text order == uuid order) chosen to exercise ordering:
# digit vs letter first characters, and differences deep in the string.
U = [
    "00c0ffee-0000-4000-8000-000000000001",
    "0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d",
    "9f9f9f9f-9f9f-4f9f-9f9f-9f9f9f9f9f9f",
    "a0000000-0000-4000-8000-000000000000",
    "a0000000-0000-4000-8000-00000000000a",
    "a0000000-0000-4000-8000-000000000009",
    "f0e1d2c3-b4a5-4968-8776-655443322110",
]


# A larger catalogue with UUID ids (embeddings written out by hand)
BIG_SONGS = [{"id": i, "embedding": f(e)} for i, e in [
    ("3b9a1f2e-5c4d-4e7a-9b1c-0d2e3f4a5b6c", [0.85, 0.25, 0.30, 0.40, 0.75]),
    ("0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d", [0.20, 0.85, 0.35, 0.70, 0.30]),
    ("c4d5e6f7-0819-4a2b-9c3d-4e5f60718293", [0.60, 0.40, 0.75, 0.25, 0.55]),
    ("e7f80912-3a4b-4c5d-8e6f-708192a3b4c5", [0.95, 0.05, 0.45, 0.15, 0.90]),
    ("5f6e7d8c-9bab-4cad-8e0f-112233445566", [0.35, 0.65, 0.20, 0.90, 0.45]),
    ("a0000000-0000-4000-8000-000000000000", [0.70, 0.30, 0.50, 0.35, 0.80]),
    ("a0000000-0000-4000-8000-00000000000a", [0.15, 0.30, 0.80, 0.45, 0.25]),
    ("a0000000-0000-4000-8000-000000000009", [0.75, 0.20, 0.40, 0.30, 0.85]),
    ("9f9f9f9f-9f9f-4f9f-9f9f-9f9f9f9f9f9f", [0.55, 0.55, 0.60, 0.50, 0.40]),
    ("00c0ffee-0000-4000-8000-000000000001", [0.80, 0.45, 0.35, 0.25, 0.65]),
    ("d1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f6", [0.40, 0.75, 0.55, 0.80, 0.20]),
    ("12345678-9abc-4def-8123-456789abcdef", [0.65, 0.10, 0.55, 0.20, 0.95]),
    ("f0e1d2c3-b4a5-4968-8776-655443322110", [0.30, 0.20, 0.25, 0.35, 0.85]),
    ("7b1d3c52-9a4e-4f0b-8c1e-2d6f5a9b0e13", [0.80, 0.20, 0.10, 0.30, 0.70]),
    ("b2c3d4e5-f607-4182-93a4-b5c6d7e8f901", [0.50, 0.50, 0.50, 0.50, 0.50]),
    ("68a7b6c5-d4e3-4f21-8a0b-9c8d7e6f5a4b", [0.90, 0.60, 0.15, 0.65, 0.55]),
]]


def listeners(*names):
    return [{"id": n, "preference": L[n]} for n in names]


def songs(*names):
    return [{"id": n, "embedding": S[n]} for n in names]


def played(song_id, seconds_ago, now=NOW):
    return {"song_id": song_id, "played_at": ago(seconds_ago, now)}


def R(name, description, strategy="average", k=5, house_vector=NEUTRAL, listeners=(),
      songs=(), library=(), history=(), current_song_id=None, now=NOW, intent=None, explore=None):
    case = {
        "description": description,
        "now": now,
        "strategy": strategy,
        "k": k,
        "house_vector": f(house_vector),
        "listeners": list(listeners),
        "songs": list(songs),
        "library": list(library),
        "history": list(history),
        "current_song_id": current_song_id,
    }
    if explore is not None:
        case["explore"] = float(explore)
    return name, case, intent


ALL_SONGS = list(S)
EIGHT = [{"id": n, "preference": p} for n, p in CROWD.items()]
EIGHT_HISTORY = [played("night-storm", 600), played("campfire", 5400),
                 played("harbour-waves", 9000), played("rain-on-tin-roof", 20000)]


def ids(expect):
    return [e["song_id"] for e in expect]


def as_strategy(case, strategy):
    c = dict(case)
    c["strategy"] = strategy
    return c


def rank_cases():
    cases = []
    add = cases.append

    # --- the seed -----------------------------------------------------------
    add(R("001-seed-example",
          "The seed's example pair: one listener [0.9,0.1,0.4,0.2,0.8], one song [0.8,0.2,0.1,0.3,0.7], "
          "nothing played; centred cosine gives 0.8643 (plain cosine would give 0.9642).",
          listeners=[{"id": "ada", "preference": L["ada"]}],
          songs=[{"id": SEED_SONG, "embedding": SEED_EMB}],
          intent=lambda c, e: abs(e[0]["score"] - 0.8643) < 1e-4))

    # --- empty room -----------------------------------------------------------
    add(R("002-empty-room-neutral-house",
          "Nobody present and the default house vector (all 0.5): every similarity is 0, so the penalty "
          "alone rotates the library; never-played songs tie at 0 and are ordered by id.",
          songs=songs("rain-on-tin-roof", "coastal-gale", "campfire", "night-storm", "harbour-waves",
                      "desert-wind", "hearth-and-rain"),
          history=[played("rain-on-tin-roof", 300), played("coastal-gale", 7200),
                   played("campfire", 1800), played("night-storm", 36000)],
          intent=lambda c, e: ids(e) == ["desert-wind", "harbour-waves", "hearth-and-rain",
                                         "night-storm", "coastal-gale"]))
    add(R("003-empty-room-house-vector",
          "Nobody present with a non-neutral house vector (rain and waves): songs rank by similarity to "
          "the house vector minus the penalty.",
          house_vector=[0.8, 0.3, 0.5, 0.2, 0.9],
          songs=songs(*ALL_SONGS),
          history=[played("harbour-waves", 1200)]))
    add(R("004-empty-room-least-misery-uses-house",
          "Nobody present under least_misery: the house vector is used exactly as in average.",
          strategy="least_misery", house_vector=[0.8, 0.3, 0.5, 0.2, 0.9],
          songs=songs(*ALL_SONGS),
          history=[played("harbour-waves", 1200)],
          intent=lambda c, e: e == rank(as_strategy(c, "average"))))
    add(R("005-empty-room-awm-uses-house",
          "Nobody present under average_without_misery: the house vector is used as in average and "
          "nothing is dropped, even songs far below -0.3 against the house vector.",
          strategy="average_without_misery", house_vector=[0.1, 0.9, 0.85, 0.5, 0.1], k=10,
          songs=songs(*ALL_SONGS),
          intent=lambda c, e: e == rank(as_strategy(c, "average")) and len(e) == 10
          and min(x["score"] for x in e) < -0.3))

    # --- one listener ---------------------------------------------------------
    add(R("006-one-listener",
          "One listener, no history: the queue is the songs most similar to that listener's taste.",
          listeners=listeners("eli"), songs=songs(*ALL_SONGS)))
    add(R("007-one-listener-with-history",
          "One listener; the favourite was played 20 minutes ago and drops below fresher songs.",
          listeners=listeners("fay"), songs=songs(*ALL_SONGS),
          history=[played("night-storm", 1200), played("thunder-sea", 7200)],
          intent=lambda c, e: ids(e)[0] != "night-storm"))

    # --- eight listeners, each strategy ----------------------------------------
    eight = dict(listeners=EIGHT, songs=songs(*ALL_SONGS), history=EIGHT_HISTORY)
    add(R("008-eight-listeners-average",
          "Eight listeners (one with no opinion), ten songs, some played: average of the eight tastes.",
          **eight))
    add(R("009-eight-listeners-least-misery",
          "The same room under least_misery: each song's similarity is the worst over the eight.",
          strategy="least_misery", **eight))
    add(R("010-eight-listeners-awm",
          "The same room under average_without_misery: songs any listener scores below -0.3 are dropped.",
          strategy="average_without_misery", **eight))

    # --- least_misery vs average ----------------------------------------------
    split = dict(listeners=listeners("ada", "ben"),
                 songs=songs("harbour-waves", "drizzle", "campfire", "night-storm", "rain-on-tin-roof"),
                 k=3)
    add(R("011-disagree-average",
          "Two listeners with opposite tastes, average: the song one loves and the other dislikes can win.",
          intent=lambda c, e: ids(e) != ids(rank(as_strategy(c, "least_misery"))), **split))
    add(R("012-disagree-least-misery",
          "The same two listeners under least_misery: the order differs from average, nobody's worst "
          "song leads.",
          strategy="least_misery",
          intent=lambda c, e: ids(e) != ids(rank(as_strategy(c, "average"))), **split))
    add(R("013-least-misery-with-penalty",
          "least_misery with recent plays: the penalty is subtracted from the minimum similarity.",
          strategy="least_misery", listeners=listeners("cai", "gus", "eli"), songs=songs(*ALL_SONGS),
          history=[played("hearth-and-rain", 900), played("campfire", 3600), played("harbour-waves", 60)]))
    add(R("014-least-misery-no-opinion-listener",
          "least_misery with a no-opinion listener present: their similarity is 0 for every song, so "
          "no song scores above 0 (ties at 0 broken by id).",
          strategy="least_misery", listeners=listeners("ada", "dee"), songs=songs(*ALL_SONGS),
          intent=lambda c, e: max(x["score"] for x in e) == 0.0))

    # --- average_without_misery --------------------------------------------------
    add(R("015-awm-drops-song",
          "average_without_misery drops the song the group average likes best (and one more) because one "
          "listener's similarity to it is below -0.3.",
          strategy="average_without_misery",
          listeners=[{"id": "rain-fan", "preference": f([0.9, 0.3, 0.2, 0.4, 0.4])},
                     {"id": "rain-fan-too", "preference": f([0.85, 0.35, 0.3, 0.45, 0.5])},
                     {"id": "grump", "preference": f([0.3, 0.5, 0.7, 0.5, 0.5])}],
          songs=songs(*ALL_SONGS), k=10,
          intent=lambda c, e: len(e) < len(rank(as_strategy(c, "average")))
          and ids(rank(as_strategy(c, "average")))[0] == "rain-on-tin-roof"
          and "rain-on-tin-roof" not in ids(e)))
    add(R("016-awm-drops-everything-falls-back",
          "average_without_misery where every candidate has some listener below -0.3: nothing would be "
          "left, so all candidates are ranked as in average.",
          strategy="average_without_misery", listeners=listeners("ada", "ben"),
          songs=songs("rain-on-tin-roof", "night-storm", "desert-wind", "hearth-and-rain", "drizzle"), k=5,
          intent=lambda c, e: e == rank(as_strategy(c, "average")) and len(e) == 5))
    add(R("017-awm-penalty-not-misery",
          "average_without_misery looks at similarity only: a song with similarity above -0.3 stays even "
          "though its penalty pushes its score far below -0.3.",
          strategy="average_without_misery", listeners=listeners("eli", "gus"),
          songs=songs("harbour-waves", "campfire", "drizzle", "night-storm"),
          history=[played("drizzle", 0)], k=5,
          intent=lambda c, e: "drizzle" in ids(e) and e[-1]["score"] < -0.3))

    # --- library and candidates -------------------------------------------------
    add(R("018-library-restricts",
          "A non-empty player library restricts the candidates to its songs.",
          listeners=listeners("hal"), songs=songs(*ALL_SONGS),
          library=["campfire", "harbour-waves", "still-room", "desert-wind"],
          intent=lambda c, e: set(ids(e)) == {"campfire", "harbour-waves", "still-room", "desert-wind"}))
    add(R("019-library-unknown-id",
          "The library names a song that is not in songs; it is ignored (library intersected with songs).",
          listeners=listeners("hal"), songs=songs(*ALL_SONGS),
          library=["thunder-sea", "no-such-song", "coastal-gale"],
          intent=lambda c, e: ids(e) == ["coastal-gale", "thunder-sea"]))
    add(R("020-library-only-unknown",
          "The library is non-empty but names only unknown songs: there are no candidates, the queue "
          "is empty (it does not fall back to all songs).",
          listeners=listeners("hal"), songs=songs(*ALL_SONGS),
          library=["0ddba11-not-here"],
          intent=lambda c, e: e == []))
    add(R("021-current-song-excluded",
          "The current song would rank first but is never a candidate.",
          listeners=listeners("ada"), songs=songs(*ALL_SONGS),
          history=[played("harbour-waves", 7200)],
          current_song_id="drizzle",
          intent=lambda c, e: "drizzle" not in ids(e)
          and ids(rank(dict(c, current_song_id=None)))[0] == "drizzle"))

    # --- penalty -----------------------------------------------------------------
    add(R("022-penalty-half-lives-empty-room",
          "Penalty alone (neutral house vector): played 0 s, 3600 s and 10800 s ago gives exactly "
          "-1, -0.5 and -0.125; never played gives 0.",
          songs=songs("campfire", "coastal-gale", "harbour-waves", "night-storm"),
          history=[played("campfire", 0), played("coastal-gale", 3600), played("harbour-waves", 10800)],
          intent=lambda c, e: [(x["song_id"], x["score"]) for x in e] ==
          [("night-storm", 0.0), ("harbour-waves", -0.125), ("coastal-gale", -0.5), ("campfire", -1.0)]))
    add(R("023-penalty-half-lives-same-taste",
          "Four songs with the same embedding under one listener: scores are sim - 0, sim - 0.125, "
          "sim - 0.5 and sim - 1 (never played, 3, 1 and 0 half-lives).",
          listeners=listeners("gus"),
          songs=[{"id": sid, "embedding": S["harbour-waves"]} for sid in ("wave-a", "wave-b", "wave-c", "wave-d")],
          history=[played("wave-a", 0), played("wave-b", 3600), played("wave-c", 10800)],
          intent=lambda c, e: ids(e) == ["wave-d", "wave-c", "wave-b", "wave-a"]))
    add(R("024-played-several-times",
          "A song played several times: only its last start counts (history rows are out of order).",
          songs=songs("campfire", "coastal-gale", "desert-wind"),
          history=[played("campfire", 36000), played("coastal-gale", 3600), played("campfire", 1800),
                   played("coastal-gale", 72000), played("campfire", 90000), played("desert-wind", 7200)],
          intent=lambda c, e: ids(e) == ["desert-wind", "coastal-gale", "campfire"]))
    add(R("025-played-in-the-future",
          "A history row dated after now (clock skew): a negative elapsed time counts as 0, penalty 1.",
          listeners=listeners("eli"), songs=songs("harbour-waves", "campfire", "coastal-gale"),
          history=[played("harbour-waves", -120), played("no-such-song", 10)],
          intent=lambda c, e: ids(e)[-1] == "harbour-waves"))
    add(R("026-leap-day-and-fractional-seconds",
          "Timestamps across a leap day and with fractional seconds: 3600 s before 2024-03-01T00:30:00Z "
          "is on 2024-02-29, and 1799.5 s is written with milliseconds (.500Z).",
          now="2024-03-01T00:30:00Z",
          songs=songs("campfire", "coastal-gale", "desert-wind"),
          history=[played("campfire", 3600, now="2024-03-01T00:30:00Z"),
                   played("coastal-gale", 1799.5, now="2024-03-01T00:30:00Z"),
                   played("desert-wind", 86400 + 3600 * 2, now="2024-03-01T00:30:00Z")],
          intent=lambda c, e: [x["score"] for x in e][1] == -0.5))

    # --- ties and ordering ---------------------------------------------------------
    add(R("027-ties-by-uuid",
          "Equal scores (identical embeddings, never played) are ordered by song id ascending, byte-wise, "
          "with real UUIDs; k cuts through the tie.",
          listeners=listeners("cai"),
          songs=[{"id": u, "embedding": S["hearth-and-rain"]} for u in reversed(U)],
          k=5,
          intent=lambda c, e: ids(e) == sorted(U)[:5]))
    add(R("028-ties-short-ids",
          "Ties among short string ids: byte-wise order puts song-10 before song-9 and song-9 before song-a.",
          listeners=listeners("ada", "ben"),
          songs=[{"id": sid, "embedding": S["campfire"]} for sid in ("song-a", "song-9", "song-10", "song-1")]
          + [{"id": "song-b", "embedding": S["drizzle"]}],
          history=[played("song-b", 600)],
          intent=lambda c, e: [x for x in ids(e) if x != "song-b"] == ["song-1", "song-10", "song-9", "song-a"]))
    add(R("029-ties-mixed-with-distinct-scores",
          "Several groups of equal scores interleaved with distinct ones; every group is ordered by id.",
          listeners=listeners("eli"),
          songs=[{"id": U[6], "embedding": S["harbour-waves"]},
                 {"id": U[0], "embedding": S["harbour-waves"]},
                 {"id": U[3], "embedding": S["still-room"]},
                 {"id": U[5], "embedding": S["still-room"]},
                 {"id": U[4], "embedding": S["night-storm"]},
                 {"id": U[2], "embedding": S["harbour-waves"]},
                 {"id": U[1], "embedding": S["night-storm"]}],
          history=[played(U[2], 3600), played(U[1], 3600), played(U[4], 3600)],
          k=7))

    # --- no opinion / no character ----------------------------------------------------
    add(R("030-no-opinion-listener-alone",
          "The only listener has no opinion (all 0.5): every similarity is 0 and the penalty alone orders "
          "the queue, as in an empty room.",
          listeners=listeners("dee"), songs=songs("campfire", "coastal-gale", "desert-wind", "night-storm"),
          history=[played("coastal-gale", 1800)],
          intent=lambda c, e: ids(e) == ["campfire", "desert-wind", "night-storm", "coastal-gale"]))
    add(R("031-no-character-song",
          "A song with no character (embedding all 0.5) has similarity 0 with everybody and sits between "
          "liked and disliked songs.",
          listeners=listeners("ada"), songs=songs("rain-on-tin-roof", "still-room", "desert-wind", "harbour-waves"),
          intent=lambda c, e: ids(e)[2] == "still-room" and e[2]["score"] == 0.0
          and e[1]["score"] > 0 and e[3]["score"] < 0))
    add(R("032-opposed-listeners-cancel",
          "Two listeners with exactly mirrored tastes: the group vector is all 0.5 (no direction), so under "
          "average every similarity is 0 and only the penalty counts.",
          listeners=[{"id": "north", "preference": f([0.75, 0.25, 1.0, 0.0, 0.5])},
                     {"id": "south", "preference": f([0.25, 0.75, 0.0, 1.0, 0.5])}],
          songs=songs("campfire", "night-storm", "harbour-waves"),
          history=[played("campfire", 3600)],
          intent=lambda c, e: [x["score"] for x in e] == [0.0, 0.0, -0.5]))

    # --- k ------------------------------------------------------------------------------
    add(R("033-k-larger-than-candidates",
          "k = 10 with three candidates: the queue holds all three.",
          k=10, listeners=listeners("ben"), songs=songs("night-storm", "campfire", "harbour-waves"),
          intent=lambda c, e: len(e) == 3))
    add(R("034-k-one",
          "k = 1: only the best song is queued.",
          k=1, listeners=listeners("ben", "fay", "hal"), songs=songs(*ALL_SONGS),
          history=[played("night-storm", 2400)],
          intent=lambda c, e: len(e) == 1))
    add(R("035-empty-songs",
          "No songs at all: the queue is empty.",
          listeners=listeners("ada"), songs=[],
          history=[played("campfire", 60)],
          intent=lambda c, e: e == []))
    add(R("036-only-current-song",
          "The only song is the current one: the queue is empty.",
          listeners=listeners("ada"), songs=songs("campfire"), current_song_id="campfire",
          history=[played("campfire", 30)],
          intent=lambda c, e: e == []))

    # --- a larger room with UUIDs ------------------------------------------------------------
    big = dict(
        k=6, listeners=EIGHT, songs=BIG_SONGS,
        library=[s["id"] for s in BIG_SONGS if s["id"] != BIG_SONGS[3]["id"]]
        + ["ffffffff-ffff-4fff-bfff-ffffffffffff"],
        history=[played(BIG_SONGS[0]["id"], 100), played(BIG_SONGS[5]["id"], 3000),
                 played(BIG_SONGS[9]["id"], 8000), played(BIG_SONGS[12]["id"], 30000),
                 played(BIG_SONGS[0]["id"], 50000)],
        current_song_id=BIG_SONGS[7]["id"])
    add(R("037-big-room-uuids-average",
          "Eight listeners, sixteen UUID-identified songs, mixed history, a library that leaves one song out "
          "and names an unknown id, a current song; average.", **big))
    add(R("038-big-room-uuids-least-misery",
          "The same large room under least_misery.", strategy="least_misery", **big))
    add(R("039-big-room-uuids-awm",
          "The same large room under average_without_misery.", strategy="average_without_misery", **big))

    # --- exploration (the learner's states) ----------------------------------
    lena = learned_listener("lena", LENA_TASTE, 6, seed=11)
    mo = learned_listener("mo", MO_TASTE, 12, seed=12)
    nia = learned_listener("nia", NIA_TASTE, 3, seed=13)
    fresh = {"id": "oz", "preference": f(NEUTRAL), "state": state_to_list(state_new())}
    explore_songs = songs("rain-on-tin-roof", "coastal-gale", "campfire", "night-storm", "harbour-waves",
                          "desert-wind", "hearth-and-rain", "thunder-sea", "still-room", "drizzle")

    def differs_without_explore(c, e):
        plain = dict(c)
        del plain["explore"]
        return ids(e) != ids(rank(plain))

    add(R("040-explore-0.7-one-listener",
          "One listener after 6 votes, exploration 0.7: every song gains 0.7·ÊᵀMÊ, M the learner's "
          "uncertainty away from the learned direction, which reorders the queue against explore 0.",
          listeners=[lena], songs=explore_songs, explore=0.7, k=6, intent=differs_without_explore))
    add(R("041-explore-1.5-two-listeners-average",
          "Two listeners with states (6 and 12 votes), the default exploration 1.5, average: the bonus is "
          "the mean of their two bonuses; a song played 20 minutes ago keeps its penalty.",
          listeners=[lena, mo], songs=explore_songs, explore=1.5, k=10,
          history=[played("harbour-waves", 1200)], intent=differs_without_explore))
    add(R("042-explore-3-least-misery",
          "Three listeners, exploration 3 under least_misery: the bonus is added to the least similarity.",
          strategy="least_misery", listeners=[lena, mo, nia], songs=explore_songs, explore=3.0, k=5,
          intent=differs_without_explore))
    add(R("043-explore-awm-misery-is-similarity-only",
          "Exploration 1.5 under average_without_misery: songs are dropped by similarity alone, the bonus "
          "only reorders the survivors.",
          strategy="average_without_misery", listeners=[lena, mo], songs=explore_songs, explore=1.5, k=10,
          intent=lambda c, e: "campfire" not in ids(e) and differs_without_explore(c, e)))
    add(R("044-explore-only-listeners-with-state",
          "Two listeners, only one carries a state: the bonus is that listener's alone (the mean is over the "
          "listeners that carry a state).",
          listeners=[lena, {"id": "ben", "preference": L["ben"]}], songs=explore_songs, explore=1.5,
          k=10, intent=differs_without_explore))
    add(R("045-explore-new-listener",
          "A new listener (prior state, no opinion) with exploration 1.5: Σ = 2·I, so every song with "
          "character gains 3 and the song with no character none; the penalties (every song played, at "
          "different times) order the rest.",
          listeners=[fresh], songs=explore_songs, explore=1.5, k=10,
          history=[played(sid, 600 * (i + 1)) for i, sid in enumerate(
              ["rain-on-tin-roof", "coastal-gale", "campfire", "night-storm", "harbour-waves",
               "desert-wind", "hearth-and-rain", "thunder-sea", "still-room", "drizzle"])],
          intent=lambda c, e: e[-1]["song_id"] == "still-room" and e[0]["song_id"] == "drizzle"))
    add(R("046-explore-0-is-the-plain-ranking",
          "Listeners with states and exploration 0: the plain ranking, the same as without states.",
          listeners=[lena, mo], songs=explore_songs, explore=0.0, k=10,
          intent=lambda c, e: e == rank(dict(c, explore=0.0, listeners=[
              {"id": l["id"], "preference": l["preference"]} for l in c["listeners"]]))))
    add(R("047-explore-nobody-present",
          "Nobody present: the house vector ranks and there is no bonus, whatever the exploration.",
          house_vector=[0.8, 0.3, 0.5, 0.2, 0.9], songs=explore_songs, explore=3.0, k=4))
    return cases


def V(name, description, preference, embedding, vote, momentum=(0, 0, 0, 0, 0), intent=None,
      learner=None):
    c = {"description": description}
    if learner is not None:
        c["learner"] = learner
    c.update({"preference": f(preference), "momentum": f(momentum), "embedding": f(embedding), "vote": vote})
    return name, c, intent


SEED_P = [0.9, 0.1, 0.4, 0.2, 0.8]
SEED_E = [0.8, 0.2, 0.1, 0.3, 0.7]


# The learner's listeners: hidden tastes that rate songs as the benchmark's
# simulated listeners do (round(3 + 2·sim + noise), clamped to 1..5), with a
# seeded generator; the votes are written into the files, so the generator
# only picks them.
LENA_TASTE = [0.9, 0.2, 0.35, 0.3, 0.8]
MO_TASTE = [0.3, 0.85, 0.6, 0.75, 0.25]
NIA_TASTE = [0.55, 0.4, 0.9, 0.2, 0.45]


def simulated_votes(taste, n, seed, noise=0.5, rating=None):
    import random
    rnd = random.Random(seed)
    out = []
    while len(out) < n:
        e = [round(rnd.random(), 2) for _ in range(DIMS)]
        if norm(centre(e)) < 0.2:
            continue
        if rating is None:
            v = int(round(3 + 2 * sim(taste, e) + rnd.gauss(0.0, noise)))
            v = min(5, max(1, v))
        else:
            v = rating
        out.append({"embedding": e, "vote": v})
    return out


def run_votes(votes, start=None):
    st = state_new() if start is None else start
    p = list(NEUTRAL)
    for vt in votes:
        st, newp = learn(st, vt["embedding"], vt["vote"])
        if newp is not None:
            p = newp
    return st, p


def learned_listener(name, taste, n, seed):
    st, p = run_votes(simulated_votes(taste, n, seed))
    return {"id": name, "preference": p, "state": state_to_list(st)}


def B(name, description, votes, preference=None, state=None, intent=None):
    c = {"description": description, "learner": "bayes"}
    if preference is not None:
        c["preference"] = f(preference)
    if state is not None:
        c["state"] = [float(x) for x in state]
    c["votes"] = [{"embedding": f(vt["embedding"]), "vote": vt["vote"]} for vt in votes]
    return name, c, intent


def centred_size(p):
    return max(abs(x - MIDPOINT) for x in p)


def vote_cases():
    cases = []
    add = cases.append
    for v, what in [(5, "loves it"), (4, "likes it"), (3, "is indifferent"), (2, "dislikes it"), (1, "hates it")]:
        add(V("%03d-seed-pair-vote-%d" % (6 - v, v),
              "The seed's example pair (similarity 0.8643), the listener votes %d (%s); momentum starts at 0."
              % (v, what),
              SEED_P, SEED_E, v))
    add(V("006-vote-3-opposed-song",
          "Vote 3 (target 0) on a song the listener is opposed to (negative similarity): taste moves "
          "towards indifference about it.",
          [0.9, 0.1, 0.4, 0.2, 0.8], [0.2, 0.8, 0.5, 0.7, 0.3], 3,
          intent=lambda c, e: sim(e["preference"], c["embedding"]) > sim(c["preference"], c["embedding"])))
    add(V("007-vote-5-on-disliked-song",
          "Vote 5 on a song the listener is opposed to: a large step towards the song.",
          [0.2, 0.8, 0.3, 0.7, 0.4], [0.9, 0.1, 0.4, 0.2, 0.8], 5,
          intent=lambda c, e: sim(e["preference"], c["embedding"]) > sim(c["preference"], c["embedding"])))
    add(V("008-no-opinion-vote-5",
          "A new listener (no opinion, |P| = 0) votes 5: p moves by 0.12 along the song's centred direction; "
          "momentum unchanged.",
          NEUTRAL, [0.9, 0.3, 0.2, 0.4, 0.4], 5))
    add(V("009-no-opinion-vote-1",
          "A new listener (no opinion) votes 1: p moves by 0.12 away from the song's centred direction.",
          NEUTRAL, [0.9, 0.3, 0.2, 0.4, 0.4], 1))
    add(V("010-no-opinion-vote-3",
          "A new listener (no opinion) votes 3: target 0, so p does not move.",
          NEUTRAL, [0.9, 0.3, 0.2, 0.4, 0.4], 3,
          intent=lambda c, e: e["preference"] == c["preference"]))
    add(V("011-no-opinion-keeps-momentum",
          "No opinion but a non-zero momentum: the no-opinion step ignores momentum and leaves it unchanged.",
          NEUTRAL, [0.3, 0.9, 0.1, 0.3, 0.8], 4, momentum=[0.05, -0.02, 0.0, 0.1, -0.3],
          intent=lambda c, e: e["momentum"] == c["momentum"]))
    add(V("012-no-character-song",
          "The song has no character (|E| = 0): preference and momentum are unchanged, whatever the vote.",
          [0.7, 0.2, 0.6, 0.9, 0.1], NEUTRAL, 1, momentum=[0.2, -0.1, 0.05, 0.0, 0.3],
          intent=lambda c, e: e["preference"] == c["preference"] and e["momentum"] == c["momentum"]))
    add(V("013-clamp-at-one",
          "Incoming momentum pushes two components past 1: they are clamped to exactly 1.",
          [0.98, 0.2, 0.4, 0.97, 0.5], [0.9, 0.3, 0.4, 0.8, 0.5], 5, momentum=[-0.5, 0.0, 0.0, -0.6, 0.0],
          intent=lambda c, e: e["preference"][0] == 1.0 and e["preference"][3] == 1.0))
    add(V("014-clamp-at-zero",
          "Incoming momentum pushes two components below 0: they are clamped to exactly 0.",
          [0.02, 0.8, 0.6, 0.5, 0.03], [0.1, 0.7, 0.6, 0.5, 0.2], 4, momentum=[0.5, 0.0, 0.0, 0.0, 0.6],
          intent=lambda c, e: e["preference"][0] == 0.0 and e["preference"][4] == 0.0))
    add(V("015-incoming-momentum",
          "A non-zero incoming momentum is decayed by 0.7 and added to the new gradient.",
          [0.6, 0.3, 0.7, 0.4, 0.5], [0.8, 0.2, 0.1, 0.3, 0.7], 2, momentum=[0.03, -0.04, 0.02, 0.01, -0.05]))
    add(V("016-perfect-agreement-momentum-decays",
          "The listener's taste equals the song and the vote is 5 (prediction = target): the gradient is 0, "
          "so only the decayed momentum moves p.",
          [0.7, 0.3, 0.8, 0.4, 0.2], [0.7, 0.3, 0.8, 0.4, 0.2], 5, momentum=[0.1, -0.1, 0.0, 0.05, 0.2]))
    add(V("017-parallel-vote-1",
          "Preference parallel to the song (similarity 1) and vote 1: the cosine's gradient vanishes on the "
          "song's direction, so p does not move.",
          [0.7, 0.4, 0.6, 0.5, 0.3], [0.9, 0.3, 0.7, 0.5, 0.1], 1))
    add(V("018-orthogonal-vote-4",
          "Song orthogonal to the taste (similarity 0), vote 4: a pure step towards the song.",
          [0.9, 0.5, 0.5, 0.5, 0.5], [0.5, 0.9, 0.5, 0.5, 0.5], 4,
          intent=lambda c, e: e["preference"][1] > 0.5))

    add(V("019-seed-rule-named",
          "The seed's rule asked for by name (\"learner\": \"seed\"): the same answer as 001, which does not "
          "name it.", SEED_P, SEED_E, 5, learner="seed",
          intent=lambda c, e: e == expect_vote({k: v for k, v in c.items() if k != "learner"})))

    # --- the learner -----------------------------------------------------------
    add(B("020-bayes-new-listener-one-vote",
          "A new listener (no preference, no state: the prior) rates the seed's example song 5.",
          [{"embedding": SEED_E, "vote": 5}],
          intent=lambda c, e: sim(e["preference"], SEED_E) > 0.99))
    long_votes = simulated_votes(LENA_TASTE, 40, seed=21)
    add(B("021-bayes-long-sequence",
          "A new listener rates 40 songs after a hidden taste [0.9,0.2,0.35,0.3,0.8] with noise: the "
          "learned preference points the same way (similarity above 0.9).",
          long_votes, intent=lambda c, e: sim(e["preference"], LENA_TASTE) > 0.9))
    a, b = simulated_votes(MO_TASTE, 2, seed=22)
    add(B("022-bayes-no-character-song",
          "Three votes, the middle one on a song with no character (all 0.5): it changes nothing, so the "
          "answer is that of the other two votes alone.",
          [a, {"embedding": NEUTRAL, "vote": 1}, b],
          intent=lambda c, e: e == learn_case({"learner": "bayes", "votes": [a, b]})))
    add(B("023-bayes-no-character-song-only",
          "A listener with a preference rates only a song with no character: preference and state stay "
          "the prior's and the given preference.",
          [{"embedding": NEUTRAL, "vote": 5}], preference=[0.7, 0.4, 0.5, 0.6, 0.3],
          intent=lambda c, e: e["preference"] == c["preference"] and
          e["state"] == state_to_list(state_from_preference(c["preference"]))))
    add(B("024-bayes-all-fives",
          "A listener who rates 30 varied songs all 5: the bias takes it, the taste stays near no opinion "
          "(no component moves by more than 0.1).",
          simulated_votes(LENA_TASTE, 30, seed=24, rating=5),
          intent=lambda c, e: centred_size(e["preference"]) < 0.1))
    add(B("025-bayes-all-ones",
          "A listener who rates 30 varied songs all 1: the taste stays near no opinion too.",
          simulated_votes(LENA_TASTE, 30, seed=25, rating=1),
          intent=lambda c, e: centred_size(e["preference"]) < 0.1))
    before = simulated_votes(LENA_TASTE, 25, seed=26, noise=0.3)
    after = simulated_votes(MO_TASTE, 15, seed=27, noise=0.3)
    add(B("026-bayes-change-of-taste",
          "25 votes after one taste, then 15 after a very different one: the change detector fires (the "
          "state restarts from the prior) and the preference follows the new taste.",
          before + after,
          intent=lambda c, e: any(i > 25 for i in detector_fired(c)) and
          not any(i <= 25 for i in detector_fired(c)) and sim(e["preference"], MO_TASTE) > 0.8))
    first = simulated_votes(NIA_TASTE, 10, seed=28)
    more = simulated_votes(NIA_TASTE, 5, seed=29)
    st10, p10 = run_votes(first)
    add(B("027-bayes-continue-from-state",
          "A stored state (and its preference) after 10 votes, then 5 more: the same answer as 15 votes "
          "from the start.",
          more, preference=p10, state=state_to_list(st10),
          intent=lambda c, e: close(e, learn_case({"learner": "bayes", "votes": first + more}), 1e-12)))
    add(B("028-bayes-from-preference",
          "An existing profile with a preference and no state yet (as the migration finds it): it starts "
          "from b = Λ0·(0, 2(p − 0.5)), then 3 votes.",
          simulated_votes(MO_TASTE, 3, seed=30), preference=[0.8, 0.3, 0.5, 0.6, 0.2]))
    return cases


# ---------------------------------------------------------------------------
# Bad inputs (refused by a consumer; README lists the reason for each)
# ---------------------------------------------------------------------------

def _good_rank_for_bad():
    name, c, _ = R("bad", "A good case that the bad files are derived from.",
                   listeners=listeners("ada"), songs=songs("campfire", "harbour-waves"))
    c["expect"] = rank(c)
    return c


def bad_files():
    """name -> (file text, expected refusal kind)."""
    out = {}

    def rank_with(mutate):
        c = json.loads(json.dumps(_good_rank_for_bad()))
        mutate(c)
        return dump(c, RANK_KEYS)

    def e0(c, v):
        c["songs"][0]["embedding"] = v

    def bad(description, mutate):
        def m(c):
            c["description"] = "Malformed on purpose: " + description
            mutate(c)
        return rank_with(m)

    out["rank-nan.json"] = (bad("an embedding component is the string \"NaN\" (JSON has no NaN).",
                                lambda c: e0(c, [0.2, "NaN", 0.9, 0.1, 0.3])), "not-a-number")
    out["rank-inf.json"] = (bad("an embedding component is 1e999, which overflows to infinity.",
                                lambda c: e0(c, [0.2, 0.2, 0.9, 0.1, 0.3])).replace(
        "[0.2, 0.2, 0.9, 0.1, 0.3]", "[0.2, 1e999, 0.9, 0.1, 0.3]"), "non-finite")
    out["rank-short-vector.json"] = (bad("a preference has 4 numbers instead of 5.",
                                         lambda c: c["listeners"][0].__setitem__(
                                             "preference", [0.9, 0.1, 0.4, 0.2])), "wrong-dimension")
    out["rank-out-of-range.json"] = (bad("an embedding component is 1.5, outside [0, 1].",
                                         lambda c: e0(c, [0.2, 0.2, 1.5, 0.1, 0.3])), "out-of-range")
    full = bad("the file is cut off in the middle, so it is not JSON.", lambda c: None)
    out["rank-not-json.json"] = (full[:len(full) // 2], "not-json")
    out["rank-unknown-strategy.json"] = (bad("the strategy \"median\" does not exist.",
                                             lambda c: c.__setitem__("strategy", "median")),
                                         "unknown-strategy")

    def vote_with(mutate):
        c = {"description": "", "preference": f(SEED_P), "momentum": f([0] * 5),
             "embedding": f(SEED_E), "vote": 5}
        c["expect"] = {"preference": f(SEED_P), "momentum": f([0] * 5)}
        mutate(c)
        return dump(c, VOTE_KEYS)

    out["vote-bad-value.json"] = (vote_with(lambda c: c.update(
        description="Malformed on purpose: the vote is 6, outside 1..5.", vote=6)), "bad-vote")
    out["vote-wrong-dim.json"] = (vote_with(lambda c: c.update(
        description="Malformed on purpose: the embedding has 6 numbers instead of 5.",
        embedding=f([0.8, 0.2, 0.1, 0.3, 0.7, 0.5]))), "wrong-dimension")

    def learn_with(description, state):
        c = {"description": "Malformed on purpose: " + description, "learner": "bayes",
             "state": state, "votes": [{"embedding": f(SEED_E), "vote": 5}]}
        c["expect"] = {"preference": f(NEUTRAL), "state": state}
        return dump(c, LEARN_KEYS)

    prior_list = state_to_list(state_new())
    out["vote-bayes-short-state.json"] = (learn_with(
        "the state has 28 numbers instead of 29.", prior_list[:-1]), "wrong-dimension")
    negative = list(prior_list)
    negative[6] = -0.5   # A[1][1]: the matrix is not positive definite
    out["vote-bayes-state-not-positive.json"] = (learn_with(
        "the state's matrix A has a negative diagonal entry, so it is not positive definite.", negative),
        "bad-state")
    return out


def classify_bad(text, name):
    try:
        c = load_json_text(text)
        if name.startswith("rank-"):
            validate_rank(c)
        else:
            validate_vote(c)
    except CaseError as ex:
        return ex.kind, str(ex)
    return None, "accepted"


# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------

def _scalar(x):
    return json.dumps(x, ensure_ascii=False)


def _inline(x):
    if isinstance(x, list) and all(not isinstance(y, (list, dict)) for y in x):
        return "[" + ", ".join(_scalar(y) for y in x) + "]"
    if isinstance(x, dict) and all(not isinstance(y, dict) and
                                   (not isinstance(y, list) or _inline(y) is not None)
                                   for y in x.values()):
        return "{" + ", ".join(_scalar(k) + ": " + (_inline(v) if isinstance(v, list) else _scalar(v))
                               for k, v in x.items()) + "}"
    return None


def _pretty(x, indent, width=110):
    pad = "  " * indent
    if not isinstance(x, (list, dict)):
        return _scalar(x)
    one = _inline(x)
    if one is not None and (len(one) + len(pad) <= width or isinstance(x, list) and
                            all(not isinstance(y, (list, dict)) for y in x)):
        return one
    inner = "  " * (indent + 1)
    if isinstance(x, list):
        if not x:
            return "[]"
        return "[\n" + ",\n".join(inner + _pretty(y, indent + 1) for y in x) + "\n" + pad + "]"
    if not x:
        return "{}"
    return "{\n" + ",\n".join(inner + _scalar(k) + ": " + _pretty(v, indent + 1) for k, v in x.items()) \
        + "\n" + pad + "}"


def dump(case, keys):
    ordered = {k: case[k] for k in keys if k in case}
    return _pretty(ordered, 0) + "\n"


def build():
    """All good cases: {path: (case dict with expect, keys)}, plus a list of problems."""
    files, problems = {}, []
    seen = set()
    for name, case, intent in rank_cases():
        assert name not in seen, name
        seen.add(name)
        validate_rank(dict(case, expect=[]))
        case["expect"] = rank(case)
        problems += check_robust(name, case)
        if intent is not None and not intent(case, case["expect"]):
            problems.append("%s: does not show what its description says" % name)
        files[os.path.join(RANK_DIR, name + ".json")] = (case, RANK_KEYS)
    for name, case, intent in vote_cases():
        assert name not in seen, name
        seen.add(name)
        validate_vote(dict(case, expect={}))
        keys = LEARN_KEYS if is_learn(case) else VOTE_KEYS
        case["expect"] = expect_vote(case)
        if keys is LEARN_KEYS:
            problems += check_robust_learn(name, case)
        if intent is not None and not intent(case, case["expect"]):
            problems.append("%s: does not show what its description says" % name)
        files[os.path.join(VOTE_DIR, name + ".json")] = (case, keys)
    return files, problems


def is_learn(case):
    return case.get("learner", "seed") != "seed"


def expect_vote(case):
    if is_learn(case):
        return learn_case(case)
    p, m = vote_update(case["preference"], case["momentum"], case["embedding"], case["vote"])
    return {"preference": p, "momentum": m}


def check_robust_learn(name, case):
    """The change detector's decision S > H must not hinge on rounding."""
    trace = []
    learn_case(case, trace)
    return ["%s: vote %d puts the change detector at %r, too close to H = %g" % (name, i + 1, S, H)
            for i, (S, _) in enumerate(trace) if abs(S - H) < FRAGILE]


def detector_fired(case):
    trace = []
    learn_case(case, trace)
    return [i + 1 for i, (_, fired) in enumerate(trace) if fired]


def close(a, b, tol):
    """Deep comparison: numbers within tol, everything else equal."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(a - b) <= tol
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(close(x, y, tol) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(close(a[k], b[k], tol) for k in a)
    return a == b


def check():
    files, problems = build()
    bad = bad_files()
    expected_names = {os.path.relpath(p, HERE) for p in files}
    expected_names |= {os.path.join("bad", n) for n in bad}
    on_disk = set()
    for d in (RANK_DIR, VOTE_DIR, BAD_DIR):
        if os.path.isdir(d):
            on_disk |= {os.path.join(os.path.basename(d), n) for n in os.listdir(d) if n.endswith(".json")}
    for n in sorted(on_disk - expected_names):
        problems.append("%s: on disk but not generated by this script" % n)
    for n in sorted(expected_names - on_disk):
        problems.append("%s: missing (run --write)" % n)

    n_checked = 0
    for path, (case, keys) in sorted(files.items()):
        rel = os.path.relpath(path, HERE)
        if not os.path.exists(path):
            continue
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        try:
            disk = load_json_text(text)
            (validate_rank if keys is RANK_KEYS else validate_vote)(disk)
        except CaseError as ex:
            problems.append("%s: %s" % (rel, ex))
            continue
        if list(disk) != [k for k in keys if k in case]:
            problems.append("%s: keys %s, expected %s" % (rel, list(disk), [k for k in keys if k in case]))
        # 1. the file's own inputs, recomputed, give the file's expectation
        got = rank(disk) if keys is RANK_KEYS else expect_vote(disk)
        if not close(got, disk["expect"], CHECK_TOL):
            problems.append("%s: expect differs from the recomputation:\n  file: %s\n  here: %s"
                            % (rel, json.dumps(disk["expect"]), json.dumps(got)))
        # 2. the file is what this script generates (inputs and expectation)
        if not close({k: case[k] for k in keys if k in case}, disk, CHECK_TOL):
            problems.append("%s: differs from the case defined in make-cases.py" % rel)
        n_checked += 1

    for n, (text, kind) in sorted(bad.items()):
        path = os.path.join(BAD_DIR, n)
        if not os.path.exists(path):
            continue
        with open(path, encoding="utf-8") as fh:
            disk_text = fh.read()
        got_kind, msg = classify_bad(disk_text, n)
        if got_kind != kind:
            problems.append("bad/%s: refused as %s (%s), expected %s" % (n, got_kind, msg, kind))
        n_checked += 1

    for p in problems:
        print("FAIL " + p, file=sys.stderr)
    print("%d files checked, %d problems" % (n_checked, len(problems)))
    return 1 if problems else 0


def write():
    files, problems = build()
    if problems:
        for p in problems:
            print("FAIL " + p, file=sys.stderr)
        return 1
    for d in (RANK_DIR, VOTE_DIR, BAD_DIR):
        os.makedirs(d, exist_ok=True)
        for n in os.listdir(d):
            if n.endswith(".json"):
                os.remove(os.path.join(d, n))
    for path, (case, keys) in sorted(files.items()):
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(dump(case, keys))
    for n, (text, kind) in sorted(bad_files().items()):
        got_kind, msg = classify_bad(text, n)
        if got_kind != kind:
            print("FAIL bad/%s: refused as %s (%s), expected %s" % (n, got_kind, msg, kind), file=sys.stderr)
            return 1
        with open(os.path.join(BAD_DIR, n), "w", encoding="utf-8") as fh:
            fh.write(text)
    print("wrote %d rank, %d vote, %d bad files" % (
        sum(1 for _, k in files.values() if k is RANK_KEYS),
        sum(1 for _, k in files.values() if k is not RANK_KEYS), len(bad_files())))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--check", action="store_true", help="recompute and compare every file (1e-9)")
    g.add_argument("--write", action="store_true", help="regenerate the files")
    args = ap.parse_args()
    return check() if args.check else write()


if __name__ == "__main__":
    sys.exit(main())
