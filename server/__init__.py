"""The central server: content distribution, terminal enrolment and fleet management."""
