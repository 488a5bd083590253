-- Move one department's notices whose feedback deadline has passed from pending to overdue.
-- KEYS: 1 pending zset, 2 overdue zset
-- ARGV: 1 now (ms), 2 key prefix, 3 batch size
-- Runs after notice.lua (unpack_notice, pack_notice).
-- Returns the number of notices that became overdue.
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[3]))
local moved = 0
for k = 1, #due, 2 do
  local member, score = due[k], due[k + 1]
  redis.call('ZREM', KEYS[1], member)
  redis.call('ZADD', KEYS[2], score, member)
  local sep = string.find(member, '|', 1, true)
  local sid, nid = string.sub(member, 1, sep - 1), string.sub(member, sep + 1)
  local notices = ARGV[2] .. '{' .. sid .. '}:notices'
  local raw = redis.call('HGET', notices, nid)
  if raw then
    local notice = unpack_notice(raw)
    if notice.status == 'pending' then
      notice.status = 'overdue'
      redis.call('HSET', notices, nid, pack_notice(notice))
    end
  end
  moved = moved + 1
end
return moved
