-- Sliding-window rate limiter on a sorted set of request times in ms (score and member
-- the time): KEYS[1] the set, ARGV[1] now, ARGV[2] the window, ARGV[3] the limit. Times
-- that left the window are dropped. Returns {allowed 0/1, requests in window}.
local now, window, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local n = redis.call('ZCARD', KEYS[1])
if n >= limit then
  return {0, n}
end
redis.call('ZADD', KEYS[1], now, now)
redis.call('PEXPIRE', KEYS[1], window)
return {1, n + 1}
