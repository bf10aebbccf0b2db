"""Personal data masked before a public page or a log shows it (张*, 138****5678). Phone
numbers are read one way everywhere by protocol.phone.normalize_phone."""

from __future__ import annotations


def mask_phone(phone: str) -> str:
    """A phone number with its middle hidden: 138****5678, 0871******56."""
    mobile = len(phone) == 11 and phone.startswith("1")
    keep, tail = (3, 4) if mobile else (4, 2)
    if len(phone) <= keep + tail:
        return "*" * len(phone)
    return phone[:keep] + "*" * (len(phone) - keep - tail) + phone[-tail:]


def mask_name(name: str) -> str:
    """A name with only its first character shown: 张*."""
    name = name.strip()
    return name[:1] + "*" if name else ""
