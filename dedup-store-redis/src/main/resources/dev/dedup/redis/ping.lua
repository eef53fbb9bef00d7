-- ping: the health check's round trip, through the same path and deadline as every step; touches no key.
return 1
