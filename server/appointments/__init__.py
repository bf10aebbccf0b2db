"""Appointments (预约): bookable services with slots per hall, bookings from the phone page
and the terminal, and check-in at the terminal that issues the priority ticket."""
