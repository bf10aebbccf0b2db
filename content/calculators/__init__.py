"""Legal calculators: pure functions with typed inputs, a working and a legal basis."""
