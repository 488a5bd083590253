-- Offer a dictionary to pack stored events with: stored, and made the one every writer packs
-- with, only if there is none yet (streams.store.eventpacking).
-- KEYS: 1 packing hash. ARGV: 1 the field of the current id, 2 the dictionary's field, 3 its id
-- (hex), 4 its bytes.
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[3]) == 1 then
  redis.call('HSET', KEYS[1], ARGV[2], ARGV[4])
  return 1
end
return 0
