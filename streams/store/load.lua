-- Read one subject for planning, in one reply: its state's version, what departments were told
-- and its events stored together, its events stored one by one (as before they were stored
-- together) and its waiting events (Store.load calls it once per subject, pipelined).
-- KEYS: 1 state hash, 2 events hash (stored one by one), 3 waiting hash.
-- Returns {{version, told, events}, {event id, bytes, ...}, {event id, source, ...}}.
return {
  redis.call('HMGET', KEYS[1], 'version', 'told', 'events'),
  redis.call('HGETALL', KEYS[2]),
  redis.call('HGETALL', KEYS[3]),
}
