"""Device interfaces and their real and null implementations (no Kivy here)."""
