"""The queue: tickets, windows, calls and their live feed."""
