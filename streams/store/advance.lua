-- Record how far input partitions have been taken in. Positions only move forward: a worker that
-- re-reads (after a rebalance or a restart) never takes back what another has recorded.
-- A floor is the position this worker recorded last for the partition: finding less means Redis
-- lost writes (killed before its append-only file was synced), and nothing is recorded then.
-- KEYS: 1 positions hash.  ARGV: ("topic|partition", next offset or -1, floor or -1) triples;
-- -1 as the next offset: the floor is checked, the position not moved.
-- Returns 1, or 0 when a position was below its floor.
for i = 1, #ARGV, 3 do
  local current = tonumber(redis.call('HGET', KEYS[1], ARGV[i]) or '-1')
  if current < tonumber(ARGV[i + 2]) then
    return 0
  end
end
for i = 1, #ARGV, 3 do
  local current = tonumber(redis.call('HGET', KEYS[1], ARGV[i]) or '-1')
  if tonumber(ARGV[i + 1]) > current then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  end
end
return 1
