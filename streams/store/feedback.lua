-- Record a department's answer to a notice and queue its relay to the initiating department.
-- KEYS: 1 the subject's notices hash, 2 outbox stream
-- ARGV: 1 notice id, 2 answering department, 3 feedback event id, 4 status, 5 answered at (ms),
--       6 key prefix, 7 subject id, 8 relay topic, 9 relay key, 10 relay value
-- Runs after notice.lua (unpack_notice, pack_notice).
-- Returns {outcome, sent at ms}: ok | unknown_notice | wrong_department | duplicate.
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then
  return {'unknown_notice', 0}
end
local notice = unpack_notice(raw)
if notice.department ~= ARGV[2] then
  return {'wrong_department', 0}
end
if notice.feedback_event == ARGV[3] then
  return {'duplicate', notice.created}
end
notice.status = 'answered'
notice.feedback = ARGV[4]
notice.feedback_event = ARGV[3]
notice.answered = tonumber(ARGV[5])
redis.call('HSET', KEYS[1], ARGV[1], pack_notice(notice))
local member = ARGV[7] .. '|' .. ARGV[1]
redis.call('ZREM', ARGV[6] .. 'notices:pending:' .. ARGV[2], member)
redis.call('ZREM', ARGV[6] .. 'notices:overdue:' .. ARGV[2], member)
redis.call('ZADD', ARGV[6] .. 'notices:answered:' .. ARGV[2], ARGV[5], member)
redis.call('XADD', KEYS[2], '*', 'id', ARGV[3], 'topic', ARGV[8], 'key', ARGV[9], 'value', ARGV[10])
return {'ok', notice.created}
