-- Input positions only move forward: a worker that re-reads (after a rebalance or a restart)
-- never takes back what another has recorded.
-- KEYS: 1 positions hash.  ARGV: ("topic|partition", next offset) pairs.
for i = 1, #ARGV, 2 do
  local current = tonumber(redis.call('HGET', KEYS[1], ARGV[i]) or '-1')
  if tonumber(ARGV[i + 1]) > current then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  end
end
return 0
