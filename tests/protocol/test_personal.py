"""Names and numbers are masked for public pages (phone rules: tests/test_phone.py)."""

from __future__ import annotations

from protocol.personal import mask_name, mask_phone


def test_masks() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("087165123456") == "0871******56"
    assert mask_name("张三") == "张*" and mask_name("欧阳娜娜") == "欧*" and mask_name("") == ""
