-- Read one subject for planning, in one reply: its state's version and what departments were
-- told, its stored events and its waiting events (Store.load calls it once per subject, pipelined).
-- KEYS: 1 state hash, 2 events hash, 3 waiting hash.
-- Returns {{version, told}, {event id, bytes, ...}, {event id, source, ...}}.
return {
  redis.call('HMGET', KEYS[1], 'version', 'told'),
  redis.call('HGETALL', KEYS[2]),
  redis.call('HGETALL', KEYS[3]),
}
