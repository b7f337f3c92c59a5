"""The Lua scripts of `RedisInbox` for inspection and upkeep: counts by state, replaying
dead letters, purging handled records, and deleting consumers left behind."""

from __future__ import annotations

from .inbox_scripts import InboxScript

__all__ = ["PRUNE_CONSUMERS", "PURGE", "REPLAY", "STATS"]

# KEYS: dead, stream. ARGV: dead entry ids. Attempts start again from 0.
REPLAY = InboxScript(
    "replay",
    """
local n = 0
for _, id in ipairs(ARGV) do
  local e = redis.call('XRANGE', KEYS[1], id, id)[1]
  if e then
    local fields = delivery_of(e[2])
    fields[#fields + 1] = 'attempts'
    fields[#fields + 1] = '0'
    redis.call('XADD', KEYS[2], '*', unpack(fields))
    redis.call('XDEL', KEYS[1], id)
    n = n + 1
  end
end
return n
""",
)

# KEYS: stream, delayed, dead, handled. ARGV: group, lease ms.
# Returns {ready, leased, handled, dead}. A lease that ran out counts as ready: any
# worker may take it now.
STATS = InboxScript(
    "stats",
    """
local stream, group = KEYS[1], ARGV[1]
local pending, expired = 0, 0
local summary = redis.pcall('XPENDING', stream, group)
if type(summary) == 'table' and not summary.err then
  pending = summary[1]
  if pending > 0 then
    expired = #redis.call('XPENDING', stream, group, 'IDLE', ARGV[2], '-', '+', pending)
  end
end
local waiting = redis.call('XLEN', stream) - pending
if waiting < 0 then waiting = 0 end
return {waiting + expired + redis.call('XLEN', KEYS[2]), pending - expired,
        redis.call('ZCARD', KEYS[4]), redis.call('XLEN', KEYS[3])}
""",
)

# KEYS: handled. ARGV: seen key prefix, age ms, batch.
# Forgets handled ids finished longer ago than the age: their handled record and their
# dedup key (as on SQLite, a purged id is no longer deduplicated). Returns how many.
PURGE = InboxScript(
    "purge",
    """
local cutoff = now_ms() - tonumber(ARGV[2])
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', cutoff, 'LIMIT', 0, ARGV[3])
for _, id in ipairs(ids) do
  redis.call('DEL', ARGV[1] .. id)
  redis.call('ZREM', KEYS[1], id)
end
return #ids
""",
)

# KEYS: stream. ARGV: group, idle ms.
# Every worker process joins the group under a name of its own, so a consumer is left
# behind by each restart. Those idle that long with nothing pending are deleted; one
# with pending entries never is (deleting it would drop its leases). Returns how many.
PRUNE_CONSUMERS = InboxScript(
    "prune consumers",
    """
local consumers = redis.pcall('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])
if type(consumers) ~= 'table' or consumers.err then return 0 end
local n = 0
for _, c in ipairs(consumers) do
  local name, pending, idle = field(c, 'name'), field(c, 'pending'), field(c, 'idle')
  if pending == 0 and idle >= tonumber(ARGV[2]) then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], name)
    n = n + 1
  end
end
return n
""",
)
