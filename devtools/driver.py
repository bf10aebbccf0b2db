"""Drive the real app frame by frame with real touch events.

Used by the UI tests, the screenshot walkthrough and the benchmarks: the app
is prepared as ``App.run`` would, but frames are advanced explicitly, so a
step can tap a widget, let Kivy process the touch and draw, and look.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from kivy.base import EventLoop, runTouchApp
from kivy.core.window import Window
from kivy.input.motionevent import MotionEvent
from kivy.uix.recycleview import RecycleView
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget


class Touch(MotionEvent):  # type: ignore[misc]
    """One finger at window coordinates (x, y), pressed and lifted through the event loop
    as the touch screen's provider would post it. Kivy's own UnitTestTouch does the same
    but lives in kivy.tests.common, which imports pytest: the benchmarks measure the
    terminal's memory and start-up with this driver, so it must not load a test runner."""

    def __init__(self, x: float, y: float):
        window = EventLoop.window
        super().__init__("Touch", 99, {"x": x / (window.width - 1.0),
                                       "y": y / (window.height - 1.0)},
                         is_touch=True, type_id="touch")
        self.profile = ["pos"]

    def depack(self, args: dict[str, float]) -> None:
        """Position as a fraction of the window."""
        self.sx, self.sy = args["x"], args["y"]
        super().depack(args)

    def touch_down(self) -> None:
        """Put the finger down."""
        EventLoop.post_dispatch_input("begin", self)

    def touch_up(self) -> None:
        """Lift it."""
        EventLoop.post_dispatch_input("end", self)


class Driver:
    """Taps, finds and photographs widgets of a running KioskApp."""

    def __init__(self, app: Any):
        self.app = app

    @classmethod
    def start(cls, app: Any) -> Driver:
        """Build the app, attach it to the window and start the event loop without blocking."""
        app._run_prepare()  # what App.run does before its blocking loop
        runTouchApp(embedded=True)
        driver = cls(app)
        driver.frames(3)
        return driver

    def frames(self, count: int = 2) -> None:
        """Advance the clock, input and drawing by count frames."""
        for _ in range(count):
            EventLoop.idle()

    def wait_until(self, condition: Callable[[], bool], timeout: float = 10.0) -> bool:
        """Advance frames until condition holds (work done in threads); False on timeout."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                return False
            self.frames(1)
            time.sleep(0.01)
        return True

    @property
    def screen(self) -> Any:
        """The current screen."""
        return self.app.nav.manager.current_screen

    def widgets(self, root: Widget | None = None) -> Iterator[Widget]:
        """Every visible widget under root (default: the whole window, popups included)."""
        roots = [root] if root is not None else list(Window.children)
        for top in roots:
            for widget in top.walk(restrict=True):
                if self._visible(widget):
                    yield widget

    @staticmethod
    def _visible(widget: Widget) -> bool:
        node: Any = widget
        while node is not None and node is not Window:
            if getattr(node, "opacity", 1) == 0 or getattr(node, "disabled", False):
                return False
            if node.width <= 1 or node.height <= 1:
                return False
            node = node.parent
        return True

    def find(self, text: str, root: Widget | None = None, kind: type = Widget) -> Widget:
        """The first visible widget of a kind whose text is exactly text."""
        for widget in self.widgets(root):
            if isinstance(widget, kind) and getattr(widget, "text", None) == text:
                return widget
        shown = sorted({w.text for w in self.widgets(root) if getattr(w, "text", "")})
        raise LookupError(f"no visible widget with text {text!r}; visible: {shown[:60]}")

    def texts(self, root: Widget | None = None) -> list[str]:
        """Texts of every visible widget, in tree order."""
        return [w.text for w in self.widgets(root) if getattr(w, "text", "")]

    def tap(self, target: str | Widget, root: Widget | None = None) -> Widget:
        """Press and release a real touch at the centre of a widget (found by text)."""
        # A screen change takes a frame or two, and the manager ignores touches meanwhile
        # (as it would a finger): tap once the screen has settled.
        manager = self.app.root
        self.wait_until(lambda: not getattr(getattr(manager, "transition", None), "is_active",
                                            False), 2)
        widget = self.find(target, root) if isinstance(target, str) else target
        self._scroll_into_view(widget)
        x, y = widget.to_window(*widget.center)
        touch = Touch(x, y)
        touch.touch_down()
        self.frames(1)
        touch.touch_up()
        self.frames(3)
        return widget

    def _scroll_into_view(self, widget: Widget) -> None:
        """Scroll a ScrollView ancestor so the widget's centre is inside it (like a finger)."""
        node = widget.parent
        while node is not None and node is not Window:
            if isinstance(node, ScrollView):
                x, y = widget.to_window(*widget.center)
                if not isinstance(node, RecycleView) and not node.collide_point(
                        *node.to_parent(*node.to_widget(x, y))):
                    # A page still laying itself out moves the target after scroll_to (or
                    # scroll_to waits for it): scroll again until it is in view, as a finger
                    # keeps scrolling until it sees the target.
                    for _ in range(30):
                        node.scroll_to(widget, padding=40, animate=False)
                        self.frames(1)
                        x, y = widget.to_window(*widget.center)
                        if node.collide_point(*node.to_parent(*node.to_widget(x, y))):
                            break
                return
            node = node.parent

    def key(self, keycode: int) -> bool:
        """Press a key on the window; True when something consumed it."""
        consumed = Window.dispatch("on_keyboard", keycode, 0, "", [])
        self.frames(1)
        return bool(consumed)

    def resize(self, width: int, height: int) -> None:
        """Change the window size (orientation) and let layouts settle."""
        Window.size = (width, height)
        self.frames(4)

    def screenshot(self, path: Path | str) -> Path:
        """Save the window as PNG at exactly path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.frames(2)
        # Kivy numbers screenshot files ("shot.png" becomes "shot0001.png"); rename after.
        written = Window.screenshot(name=str(path.resolve()))
        os.replace(written, path)
        return path
