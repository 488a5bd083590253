-- A notice record as Redis keeps it (streams/store/noticerecords.py): a MessagePack array of
-- its values in the order of NOTICE_FIELDS, the nine a notice is created with, then the three
-- of its department's answer. A record written before is a JSON object and is read as one.
-- Prefixed to the scripts that change records (feedback.lua, overdue.lua).
local NOTICE_FIELDS = {'department', 'initiating', 'measure', 'action', 'cause', 'list',
  'created', 'due', 'status', 'feedback', 'feedback_event', 'answered'}
local NOTICE_CREATED_WITH = 9

local function unpack_notice(raw)
  if string.byte(raw, 1) == 123 then -- '{'
    return cjson.decode(raw)
  end
  local values = cmsgpack.unpack(raw)
  local notice = {}
  for k, name in ipairs(NOTICE_FIELDS) do
    notice[name] = values[k]
  end
  return notice
end

local function pack_notice(notice)
  local count = NOTICE_CREATED_WITH
  if notice.feedback_event ~= nil then
    count = #NOTICE_FIELDS
  end
  local values = {}
  for k = 1, count do
    values[k] = notice[NOTICE_FIELDS[k]]
  end
  return cmsgpack.pack(values)
end
