"""Generated hall activity for demos and benchmarks (``hallkiosk generate``)."""
