"""The platform: faust workers, the pure rules, the Redis store, relay, timers, API, metrics."""
