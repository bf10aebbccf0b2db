"""Terminal identity, enrolment, signed requests, heartbeat and remote commands."""
