"""The Redis store: keys, Lua scripts and their callers."""
