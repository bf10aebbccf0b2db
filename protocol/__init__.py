"""What crosses the wire between terminals and the central server, typed.

Both sides import this package; it imports nothing of ours. Request signing lives in
:mod:`protocol.signing`, the enums in :mod:`protocol.enums`, and the bodies in
:mod:`protocol.queue` (tickets, board, feed events), :mod:`protocol.feedback` (ratings,
complaints, usage events), :mod:`protocol.terminal` (enrolment, heartbeat, command replies,
outbox), :mod:`protocol.commands` (commands IT sends) and :mod:`protocol.config` (the
terminal config model, pushed as a partial overlay).
"""
