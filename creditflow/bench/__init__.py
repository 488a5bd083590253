"""``creditflow bench``: the platform's throughput, latency and footprint on this machine."""
