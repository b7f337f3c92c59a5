"""The Lua scripts of `RedisInbox` that move a delivery through its life (the upkeep
ones, counting and cleaning, are in `inbox_upkeep_scripts.py`). Each runs atomically
in Redis, so every state change of a delivery (stored, leased, retried, dead, handled)
is one step that a crash can never leave half done, and every clock reading is Redis's
own `TIME`: workers on several machines agree on due times and lease ages whatever
their own clocks say.

A lease is an entry in the consumer group's pending-entries list; its delivery count
there is the number of claims. Attempts = the attempts carried by the entry (a retry
re-adds the delivery as a new entry carrying what was spent) + that delivery count.
"""

from __future__ import annotations

from .connection import LuaScript

__all__ = ["ACK", "CLAIM", "EXTEND", "FAIL", "PUT", "RELEASE", "RETRY", "InboxScript"]


class InboxScript(LuaScript):
    """A `LuaScript` with the inbox's Lua functions in front, and a name for messages."""

    def __init__(self, name: str, body: str) -> None:
        super().__init__(_PRELUDE + body)
        self.name = name


_PRELUDE = """
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Is this lease still the one the caller holds? Same consumer, and nobody claimed
-- the entry since (a later claim raises its delivery count). 1: held; 0: the entry is
-- done with (acknowledged, retried, dead); -1: another claim holds it now.
local function held(stream, group, id, consumer, deliveries)
  local p = redis.call('XPENDING', stream, group, id, id, 1)[1]
  if p == nil then return 0 end
  if p[2] == consumer and p[4] == tonumber(deliveries) then return 1 end
  return -1
end

local function field(fields, name)
  for i = 1, #fields, 2 do
    if fields[i] == name then return fields[i + 1] end
  end
  return nil
end

-- The delivery's own fields (id, body, headers, received), without bookkeeping.
local function delivery_of(fields)
  local out = {}
  for i = 1, #fields, 2 do
    local k = fields[i]
    if k == 'id' or k == 'body' or k == 'headers' or k == 'received' then
      out[#out + 1] = k
      out[#out + 1] = fields[i + 1]
    end
  end
  return out
end

-- Take a leased entry out of the stream: acknowledged and deleted in one step, so the
-- stream only ever loses entries that are done with.
local function remove(stream, group, id)
  redis.call('XACK', stream, group, id)
  redis.call('XDEL', stream, id)
end
"""

# KEYS: seen key, stream. ARGV: dedup ttl ms, then the entry's fields.
# The dedup key and the entry are written together or not at all: a redelivery racing
# the first finds the key and stores nothing; a crash cannot keep one without the other.
PUT = InboxScript(
    "put",
    """
if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then return 0 end
redis.call('XADD', KEYS[2], '*', unpack(ARGV, 2))
return 1
""",
)

# KEYS: stream, delayed, due. ARGV: group, consumer, limit, lease ms, promote batch.
# Returns {{entry id, delivery count, id, body, headers, received, attempts}...} (the
# fields in inbox_layout.CLAIMED_FIELDS' order, false where missing: fewer reply items
# to parse than field/value pairs), and ms until the next retry is due (-1: none).
CLAIM = InboxScript(
    "claim",
    """
local stream, delayed, due = KEYS[1], KEYS[2], KEYS[3]
local group, consumer = ARGV[1], ARGV[2]
local limit, lease = tonumber(ARGV[3]), ARGV[4]
local now = now_ms()
-- The group starts at 0 so that deliveries stored before any worker ran are handled.
redis.pcall('XGROUP', 'CREATE', stream, group, '0', 'MKSTREAM')

-- Retries whose time has come go back to the stream, carrying their attempts.
for _, id in ipairs(redis.call('ZRANGEBYSCORE', due, '-inf', now, 'LIMIT', 0, ARGV[5])) do
  local e = redis.call('XRANGE', delayed, id, id)[1]
  if e then redis.call('XADD', stream, '*', unpack(e[2])) end
  redis.call('XDEL', delayed, id)
  redis.call('ZREM', due, id)
end

local out = {}
local function take(id, fields, deliveries)
  local row = {id, deliveries}
  for i, name in ipairs({'id', 'body', 'headers', 'received', 'attempts'}) do
    row[i + 2] = field(fields, name) or false
  end
  out[#out + 1] = row
end

-- Leases that ran out (their worker died or stalled) pass to this consumer, which
-- raises their delivery count: the attempt is counted. XAUTOCLAIM scans the pending
-- list a few entries per call; XPENDING IDLE finds in one call whether any lease ran
-- out at all (the usual answer is no) and where the scan should start.
local first = redis.call('XPENDING', stream, group, 'IDLE', lease, '-', '+', 1)[1]
local cursor = first and first[1] or '0-0'
while cursor ~= '0-0' and #out < limit do
  local r = redis.call('XAUTOCLAIM', stream, group, consumer, lease, cursor,
                       'COUNT', limit - #out)
  cursor = r[1]
  for _, e in ipairs(r[2]) do
    if e[2] then  -- Redis 6.2 lists a deleted entry with no fields
      take(e[1], e[2], redis.call('XPENDING', stream, group, e[1], e[1], 1)[1][4])
    else
      redis.call('XACK', stream, group, e[1])
    end
  end
end

if #out < limit then
  local r = redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', limit - #out,
                       'STREAMS', stream, '>')
  if r then
    for _, e in ipairs(r[1][2]) do take(e[1], e[2], 1) end
  end
end

local nxt = redis.call('ZRANGE', due, 0, 0, 'WITHSCORES')[2]
if nxt then return {out, math.max(0, tonumber(nxt) - now)} end
return {out, -1}
""",
)

# KEYS: stream, handled. ARGV: group, entry id, delivery id, how long to keep handled ms.
# Whoever finishes the handler acknowledges, even if its lease ran out meanwhile: the
# delivery was handled. Returns 0 when the entry was already done with.
ACK = InboxScript(
    "ack",
    """
if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('XDEL', KEYS[1], ARGV[2])
local now = now_ms()
redis.call('ZADD', KEYS[2], now, ARGV[3])
-- The handled record is bounded: beyond the dedup window an id means nothing.
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[4]))
return 1
""",
)

# KEYS: stream, delayed, due. ARGV: group, entry id, consumer, deliveries, delay ms, error.
# The delivery leaves the stream for the delayed stream, carrying the attempts made so
# far; CLAIM moves it back once its due time (Redis time) has come.
# Why not leave it pending in the group until then? The group has no "not before": an
# entry idle for a lease is taken over at once, so a delay longer than the lease would
# be cut short and a shorter one stretched to the lease. Why a stream plus a sorted set
# of its entry ids scored with the due time, rather than the delivery in the sorted set?
# A stream entry keeps the fields (a binary body among them) as they are, with nothing
# to encode or decode in Lua, and the set orders them by due time.
RETRY = InboxScript(
    "retry",
    """
local stream, group, id = KEYS[1], ARGV[1], ARGV[2]
local h = held(stream, group, id, ARGV[3], ARGV[4])
if h ~= 1 then return h end
local e = redis.call('XRANGE', stream, id, id)[1]
if not e then
  redis.call('XACK', stream, group, id)
  return 0
end
local attempts = tonumber(field(e[2], 'attempts') or '0') + tonumber(ARGV[4])
local fields = delivery_of(e[2])
for _, v in ipairs({'attempts', tostring(attempts), 'error', ARGV[6]}) do
  fields[#fields + 1] = v
end
local later = redis.call('XADD', KEYS[2], '*', unpack(fields))
redis.call('ZADD', KEYS[3], now_ms() + tonumber(ARGV[5]), later)
remove(stream, group, id)
return 1
""",
)

# KEYS: stream, dead. ARGV: group, entry id, consumer, deliveries, error.
FAIL = InboxScript(
    "fail",
    """
local stream, group, id = KEYS[1], ARGV[1], ARGV[2]
local h = held(stream, group, id, ARGV[3], ARGV[4])
if h ~= 1 then return h end
local e = redis.call('XRANGE', stream, id, id)[1]
if not e then
  redis.call('XACK', stream, group, id)
  return 0
end
local attempts = tonumber(field(e[2], 'attempts') or '0') + tonumber(ARGV[4])
local fields = delivery_of(e[2])
local extra = {'attempts', tostring(attempts), 'error', ARGV[5],
               'failed', string.format('%d', now_ms())}
for _, v in ipairs(extra) do fields[#fields + 1] = v end
redis.call('XADD', KEYS[2], '*', unpack(fields))
remove(stream, group, id)
return 1
""",
)

# KEYS: stream. ARGV: group, entry id, consumer, deliveries, lease ms.
# Back to the group unstarted: idle for a whole lease, so the next CLAIM takes it over
# at once, and its delivery count lowered by one, which that claim raises again.
RELEASE = InboxScript(
    "release",
    """
local h = held(KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4])
if h ~= 1 then return h end
redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[3], 0, ARGV[2], 'IDLE', ARGV[5],
           'RETRYCOUNT', tonumber(ARGV[4]) - 1, 'JUSTID')
return 1
""",
)

# KEYS: stream. ARGV: group, entry id, consumer, deliveries.
# JUSTID keeps the delivery count (no attempt counted); IDLE 0 restarts the lease.
EXTEND = InboxScript(
    "extend",
    """
local h = held(KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4])
if h ~= 1 then return h end
redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[3], 0, ARGV[2], 'IDLE', 0, 'JUSTID')
return 1
""",
)
