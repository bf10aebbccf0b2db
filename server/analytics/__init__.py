"""Hall analytics: generated activity, dashboard figures, charts and exports."""
