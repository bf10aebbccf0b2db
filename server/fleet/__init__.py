"""The fleet of terminals: enrolment, heartbeats, commands, and the console's views of it."""
