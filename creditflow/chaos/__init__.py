"""Fault injection (``creditflow chaos``): the same seeded workload processed once cleanly and once
while workers are SIGKILLed, the broker and Redis restarted and the group resized; then the two
end states and the notices departments received are compared."""
