"""Hall analytics: dashboard figures, charts and exports (generated activity: devtools/activity)."""
