-- Apply one subject's change atomically: new events, derived state, list membership, due time,
-- notices and their outbox entries, all or nothing, if the subject's version is still the one
-- the change was computed from (several workers may touch a subject: the loser retries).
--
-- KEYS: 1 state hash, 2 events hash (events stored one by one, before they were stored
--       together: removed), 3 notices hash, 4 due zset, 5 outbox stream,
--       6..8 list zsets (BLACK, RED, THREE_YEAR_CLEAN), 9 waiting hash, 10 (optional) the
--       count of its pipeline's changes applied, counted once this one is (advance.lua reads it)
-- ARGV: 1 expected version, 2 subject id, 3 header JSON (lists, due time, withdrawn, waiting
--       and settled events, whether the subject's id is personal), 4 snapshot, 5 told (JSON
--       packed by streams.store.packing), 6 every event the subject keeps, stored together
--       (streams.store.eventpacking); 4 to 6 are stored as they are, never decoded here;
--       then the number of notices,
--       then (notice id, notice record (streams/store/noticerecords.py), department, due ms,
--       topic, key, value) per notice.
-- Returns the new version, or -1 if the version moved on.
local version = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if version ~= tonumber(ARGV[1]) then
  return -1
end
local sid = ARGV[2]
local h = cjson.decode(ARGV[3])
redis.call('DEL', KEYS[2])
-- Where stored events turned away by a record that arrived after them waited, and where
-- events wait.
for _, eid in ipairs(h.withdrawn) do
  redis.call('HDEL', KEYS[9], eid)
end
for _, eid in ipairs(h.settled) do
  redis.call('HDEL', KEYS[9], eid)
end
for eid, source in pairs(h.waiting) do
  redis.call('HSET', KEYS[9], eid, source)
end
version = version + 1
redis.call('HSET', KEYS[1], 'version', version, 'snapshot', ARGV[4], 'told', ARGV[5],
  'events', ARGV[6], 'kind', h.kind, 'name', h.name, 'next', h.next)
if h.next >= 0 then
  redis.call('ZADD', KEYS[4], h.next, sid)
else
  redis.call('ZREM', KEYS[4], sid)
end
for k = 1, 3 do
  if h.lists[k] >= 0 then
    redis.call('ZADD', KEYS[5 + k], h.lists[k], sid)
  else
    redis.call('ZREM', KEYS[5 + k], sid)
  end
end
local i = 7
local n_notices = tonumber(ARGV[i])
for _ = 1, n_notices do
  local nid, record, dept, due = ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  -- A notice id already known is the same notice: never queue it twice.
  if redis.call('HSETNX', KEYS[3], nid, record) == 1 then
    redis.call('ZADD', h.prefix .. 'notices:pending:' .. dept, due, sid .. '|' .. nid)
    -- Notice id -> subject: feedback from a department that saw only a masked id finds it
    -- here. Only subjects shown masked (personal): the others' feedback names them.
    if h.personal then
      redis.call('HSET', h.prefix .. 'notice-subjects', nid, sid)
    end
    redis.call('XADD', KEYS[5], '*', 'id', nid, 'topic', ARGV[i + 5], 'key', ARGV[i + 6],
      'value', ARGV[i + 7])
  end
  i = i + 7
end
if KEYS[10] then
  redis.call('INCR', KEYS[10])
  redis.call('PEXPIRE', KEYS[10], 60000)
end
return version
