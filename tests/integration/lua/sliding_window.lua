-- Sliding-window rate limiter on a list (newest first) of request times in ms:
-- KEYS[1] the list, ARGV[1] now, ARGV[2] the window, ARGV[3] the limit. Times that
-- left the window are dropped from the tail. Returns {allowed 0/1, requests in window}.
local now, window, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
while true do
  local oldest = redis.call('LINDEX', KEYS[1], -1)
  if not oldest or tonumber(oldest) > now - window then break end
  redis.call('RPOP', KEYS[1])
end
local n = redis.call('LLEN', KEYS[1])
if n >= limit then
  return {0, n}
end
redis.call('LPUSH', KEYS[1], now)
redis.call('PEXPIRE', KEYS[1], window)
return {1, n + 1}
