"""The terminal's screens: one name.py + name.kv pair each, listed in registry.py."""
