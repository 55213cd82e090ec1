-- Fixed-window rate limiter: KEYS[1] counts the requests of the current window,
-- ARGV[1] the limit, ARGV[2] the window in ms. Returns {allowed 0/1, count, has ttl 0/1}.
local n = redis.call('INCR', KEYS[1])
if n == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
local ttl = redis.call('PTTL', KEYS[1])
if n > tonumber(ARGV[1]) then
  return {0, n, ttl > 0 and 1 or 0}
end
return {1, n, ttl > 0 and 1 or 0}
