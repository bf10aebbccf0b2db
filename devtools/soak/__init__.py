"""The soak: a whole hall day, compressed, on real processes with faults injected on a schedule
(``bench/bench_soak.py``, ``tests/soak``)."""
