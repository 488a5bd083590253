-- Record how far input partitions have been taken in. Positions only move forward: a worker that
-- re-reads (after a rebalance or a restart) never takes back what another has recorded.
-- A floor is the position this worker recorded last for the partition: finding less means Redis
-- lost writes (killed before its append-only file was synced), and nothing is recorded then.
-- Queued after a batch's changes (apply.lua) in their pipeline, it records nothing unless all of
-- them applied: a subject whose version moved on is planned again, and a change that failed is
-- tried again, before the batch counts as taken in.
-- KEYS: 1 positions hash, 2 (optional) the count of the changes before it that applied.
-- ARGV: (with KEYS[2]) the number of those changes; then ("topic|partition", next offset or -1,
-- floor or -1) triples; -1 as the next offset: the floor is checked, the position not moved.
-- Returns 1, 0 when a position was below its floor, 2 when a change before it did not apply.
local first = 1
if KEYS[2] then
  local applied = tonumber(redis.call('GET', KEYS[2]) or '0')
  redis.call('DEL', KEYS[2])
  if applied ~= tonumber(ARGV[1]) then
    return 2
  end
  first = 2
end
for i = first, #ARGV, 3 do
  local current = tonumber(redis.call('HGET', KEYS[1], ARGV[i]) or '-1')
  if current < tonumber(ARGV[i + 2]) then
    return 0
  end
end
for i = first, #ARGV, 3 do
  local current = tonumber(redis.call('HGET', KEYS[1], ARGV[i]) or '-1')
  if tonumber(ARGV[i + 1]) > current then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  end
end
return 1
