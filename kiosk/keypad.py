"""The terminal's one numeric keypad: the phone layout with large keys, on every screen.

Elderly visitors know one keypad, the telephone's: 1 2 3 / 4 5 6 / 7 8 9, then 0 in the
middle of the bottom row. Every numeric entry on the terminal (预约签到, calculators, the
numbers in a document, 投诉 call-back, 评价 ticket numbers, article numbers, the admin PIN)
is built here, so the keys are where the visitor expects them on every screen. The bottom
row's outer keys are the screen's own: a decimal point, X, 第 / 条, 删除 or 确定.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.gridlayout import GridLayout
from kivy.uix.widget import Widget

from kiosk.widgets import KButton

DIGIT_ROWS = ("123", "456", "789")
DELETE, OK = "delete", "ok"  # the special keys; their labels follow the language (kv)


class KeypadKey(KButton):
    """One key of the keypad; ``key`` is what on_key receives (a character, DELETE or OK)."""

    key = StringProperty("")


class Keypad(GridLayout):
    """A 3-column grid of large keys (sized in widgets.kv); fill it with add_keypad.

    Its rows are as high as a large key; with ``fill`` (a landscape column, the PIN pad) the
    keys share the height its layout gives it instead; ``shown`` False folds it away."""

    fill = BooleanProperty(False)
    shown = BooleanProperty(True)

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        for name in ("fill", "shown", "minimum_height"):
            self.fbind(name, self._fit)
        self._fit()

    def _fit(self, *_args: Any) -> None:
        # In Python, not kv: a kv ``height: self.minimum_height`` would fight the layout
        # of a filling keypad (whose minimum height follows its height).
        self.row_force_default = not self.fill
        filling = self.shown and self.fill
        self.size_hint_y = 1 if filling else None
        if not filling:
            self.height = self.minimum_height if self.shown else 0


def keyed(text: str, key: str, limit: int) -> str:
    """text after one key of the keypad: 删除 takes the last character away, any other key
    is added while text is shorter than limit."""
    if key == DELETE:
        return text[:-1]
    return text + key if len(text) < limit else text


def keypad_keys(left: str = "", right: str = DELETE) -> list[str]:
    """The keys in reading order: 1-9 in the phone layout, then left, 0, right."""
    return [*"".join(DIGIT_ROWS), left, "0", right]


def add_keypad(container: GridLayout, on_key: Callable[[str], None], left: str = "",
               right: str = DELETE) -> list[KeypadKey]:
    """Fill container (emptied first) with the phone-layout keypad; on_key(key) when a key is
    pressed. left and right are the bottom row's outer keys: a character, DELETE, OK or ''
    for none. Returns the keys."""
    container.clear_widgets()
    container.cols = 3
    keys: list[KeypadKey] = []
    for key in keypad_keys(left, right):
        if not key:
            container.add_widget(Widget())
            continue
        button = KeypadKey(key=key)  # its label and colour follow from key (widgets.kv)
        button.bind(on_release=lambda _w, k=key: on_key(k))
        container.add_widget(button)
        keys.append(button)
    return keys
