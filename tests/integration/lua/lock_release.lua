-- Safe release of a lock taken with SET KEYS[1] token NX PX ttl: deleted only by the
-- holder of ARGV[1]. Returns 1 if released, 0 if held by another or gone.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
