"""Cases with one code (一案一码): what a visitor asks the hall to do that outlives the visit
(a legal-aid application, a call-back request, a mediation application, a complaint),
each with a case code, a state history and a deadline in working days."""
