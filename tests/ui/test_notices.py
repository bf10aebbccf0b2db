"""The hall's notices (通知公告) from its content overlay show on the home screen in their dates."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any


def test_current_hall_notices_show_on_home(ui: Any, tmp_path: Path) -> None:
    today = dt.date.today()
    notices = [
        {"id": "n1", "title": "春节假期安排", "text": "2月16日至2月20日暂停窗口服务。",
         "title_en": "Spring Festival", "text_en": "Windows are closed 16-20 February.",
         "starts": (today - dt.timedelta(days=1)).isoformat(),
         "ends": (today + dt.timedelta(days=3)).isoformat()},
        {"id": "n2", "title": "过期通知", "text": "不应显示。",
         "ends": (today - dt.timedelta(days=1)).isoformat()},
    ]
    original = ui.app.library
    ui.app.library = dataclasses.replace(original, notices=notices)
    try:
        ui.app.start_session()
        ui.frames(3)
        texts = ui.texts()
        assert "【通知】春节假期安排：2月16日至2月20日暂停窗口服务。" in texts
        assert not any("过期通知" in t for t in texts)
        ui.screenshot(tmp_path / "home-notice.png")
        ui.tap("English")
        ui.frames(2)
        assert any("Spring Festival" in t for t in ui.texts())
    finally:
        ui.app.library = original
        ui.app.set_language("zh_CN")
        ui.app.nav.manager.current_screen.refresh()
    assert not any("【通知】" in t for t in ui.texts())
