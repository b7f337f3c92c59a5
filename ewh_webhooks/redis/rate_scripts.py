"""The Lua scripts of `RedisRateLimit`: a sliding window over two sorted sets (requests
in flight, requests ended) and a pause, each decided atomically on Redis's clock."""

from __future__ import annotations

from .connection import LuaScript

__all__ = ["PAUSE_SCRIPT", "RELEASE_SCRIPT", "WINDOW_SCRIPT"]

# Times are integer microseconds; string.format('%.0f') writes them whole (Lua's own
# number-to-string keeps 14 digits, and a time in microseconds has 16).
WINDOW_SCRIPT = LuaScript(
    """
-- KEYS[1]: requests ended, a sorted set scored by end time (us); KEYS[2]: requests in
--          flight, scored by the time their lease runs out; KEYS[3]: the pause, a key
--          that lives as long as it.
-- ARGV: max_requests, window (us), a member unique to this request, the lease (us: how
--       long a request whose end never comes, its process dead, still counts), the poll
--       (us: how soon to ask again when only an end can free a place) and, for tests
--       only, the time now (us); otherwise Redis's clock is the clock.
-- Returns 0 if the request was granted (now in flight), else the us to wait.
local max, window, member = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local lease, poll = tonumber(ARGV[4]), tonumber(ARGV[5])
local now = tonumber(ARGV[6])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
-- An end a whole window old no longer counts (the boundary of window_wait); a flight
-- past its lease is taken for ended long ago.
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%.0f', now - window))
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', string.format('%.0f', now))
local wait = redis.call('PTTL', KEYS[3]) * 1000
local ended = redis.call('ZCARD', KEYS[1])
local excess = redis.call('ZCARD', KEYS[2]) + ended - max + 1
if excess > 0 then
  if excess <= ended then
    -- The excess-th oldest end leaves the window `window` after it; never more than a
    -- window away, so a clock stepped back cannot stall everyone.
    local nth = redis.call('ZRANGE', KEYS[1], excess - 1, excess - 1, 'WITHSCORES')
    wait = math.max(wait, math.min(tonumber(nth[2]) + window - now, window))
  else
    wait = math.max(wait, poll)  -- a request in flight must end first
  end
end
if wait > 0 then
  return wait
end
redis.call('ZADD', KEYS[2], string.format('%.0f', now + lease), member)
redis.call('PEXPIRE', KEYS[2], math.ceil(lease / 1000))
return 0
"""
)

# The end of a request: out of the flights, into the ends (if its lease had not run out).
RELEASE_SCRIPT = LuaScript(
    """
-- KEYS[1]: requests ended; KEYS[2]: requests in flight. ARGV: the member, the window
-- (us) and, for tests only, the time now (us).
local now = tonumber(ARGV[3])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
if redis.call('ZREM', KEYS[2], ARGV[1]) == 1 then
  redis.call('ZADD', KEYS[1], string.format('%.0f', now), ARGV[1])
  redis.call('PEXPIRE', KEYS[1], math.ceil(tonumber(ARGV[2]) / 1000))
end
return 0
"""
)

# The pause is a key whose time to live is the pause: Redis ends it, on its own clock.
PAUSE_SCRIPT = LuaScript(
    """
-- KEYS[1]: the pause; ARGV[1]: its length in ms. Extends a pause, never shortens it.
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
end
return 0
"""
)
