"""``hallkiosk enroll`` and ``hallkiosk fleet ...``: terminal enrolment and fleet tools."""

from __future__ import annotations

from typing import Any


def register(commands: Any) -> None:
    """Add the provisioning commands to the hallkiosk command line (none yet)."""
    del commands
