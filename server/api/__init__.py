"""JSON API routers under /api/v1, and event streams."""
