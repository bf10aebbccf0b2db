"""Observable application state: what the screens show and the admin screen reports."""

from __future__ import annotations

from kivy.event import EventDispatcher
from kivy.properties import (
    BooleanProperty,
    ListProperty,
    NumericProperty,
    OptionProperty,
    StringProperty,
)


class AppState(EventDispatcher):
    """Small observable state object (never attributes on App)."""

    language = StringProperty("zh_CN")
    languages = ListProperty(["zh_CN", "en"])  # offered to visitors ([service] languages)
    multilingual = BooleanProperty(True)  # more than one: the language switch is shown
    elder_mode = BooleanProperty(False)
    orientation = OptionProperty("portrait", options=["portrait", "landscape"])
    tile_columns = NumericProperty(2)
    split = OptionProperty("vertical", options=["vertical", "horizontal"])
    keyboard_columns = NumericProperty(9)
    content_version = StringProperty("")
    current_screen = StringProperty("")
    help_status = StringProperty("")  # 呼叫工作人员: "", sending, waiting, coming, failed
    speech_status = StringProperty("")
    speech_available = BooleanProperty(False)
    read_aloud = BooleanProperty(False)
    last_error = StringProperty("")
    printer_state = StringProperty("disabled")  # devices.status.DeviceState values
    printer_message = StringProperty("")
