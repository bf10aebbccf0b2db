"""The touch terminal: the Kivy app, its state, services and command line."""
