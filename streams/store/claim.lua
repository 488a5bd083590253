-- Take up to ARGV[3] subjects whose next change is due, leasing them for ARGV[2] ms so that
-- another worker's timer does not re-derive them at the same time.
-- KEYS: 1 due zset. ARGV: 1 now (ms), 2 lease (ms), 3 batch size.
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local lease = tonumber(ARGV[1]) + tonumber(ARGV[2])
for _, sid in ipairs(due) do
  redis.call('ZADD', KEYS[1], lease, sid)
end
return due
