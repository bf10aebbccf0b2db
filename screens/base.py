"""Base screen: parameters, language refresh, reset and read-aloud text."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kivy.factory import Factory
from kivy.properties import DictProperty, StringProperty
from kivy.uix.screenmanager import Screen
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget

from kiosk.i18n import tr
from kiosk.lists import settle

if TYPE_CHECKING:
    from content.library import Library
    from kiosk.services import TerminalServices
    from kiosk.shell import Shell


def _(text: str) -> str:
    """Translate interface text into the current language."""
    return tr._(text)


def ngettext(singular: str, plural: str, count: int) -> str:
    """Interface text with a count: "1 guide" / "2 guides" (one form in Chinese)."""
    return tr.ngettext(singular, plural, count)


def localized(item: Any, field: str) -> str:
    """A content field in the visitor's language: the ``_en`` variant in English, if present."""
    if tr.language == "en":
        english = getattr(item, f"{field}_en", None)
        if english:
            return str(english)
    return str(getattr(item, field))


def localized_list(item: Any, field: str) -> list[str]:
    """A list of content texts in the visitor's language: the ``_en`` list in English when
    the item gives one (as long as the Chinese: the loader checks), else the Chinese."""
    if tr.language == "en":
        english = getattr(item, f"{field}_en", None)
        if english:
            return [str(text) for text in english]
    return [str(text) for text in getattr(item, field)]


SENTENCE_ENDS = "。！？!?.；;：:"


def sentences(parts: list[str]) -> str:
    """Join texts for reading aloud, adding a full stop only where one is missing."""
    text = ""
    for part in (p.strip() for p in parts):
        if part:
            text += part if not text or text[-1] in SENTENCE_ENDS else "。" + part
    return text


# The widget tree (a ``body_class``) of the last released screen of each kind, for the next
# screen of that kind: one per kind, kept for the process (see BaseScreen.body_class).
_FREE_BODIES: dict[str, Widget] = {}


def _settle_scrolling(body: Widget) -> None:
    """A tree handed on is still, at the top of its scroll views (see kiosk.lists.settle):
    detached, nothing moves it again before the next screen of its kind takes it."""
    for widget in body.ids.values():
        if isinstance(widget, ScrollView):
            settle(widget)


class BaseScreen(Screen):
    """A screen that takes parameters, refreshes on language change and resets for a visitor.

    services and shell are set by screens.registry.ScreenFactory before the screen is shown;
    the Navigator builds a screen when it is first shown and releases it (see lifetime).
    """

    services: TerminalServices
    shell: Shell

    title = StringProperty("")
    params = DictProperty({})
    # ids of containers whose widgets are rebuilt on every open: emptied on leave so
    # their textures (most of a detail page's memory) do not stay alive in between.
    release_on_leave: tuple[str, ...] = ()
    # How long the Navigator keeps the screen once the visitor has left it: "visit" (it is
    # rebuilt from its parameters when shown again), "session" (it holds what the visitor
    # entered: kept until the session ends) or "process" (state that outlives visitors).
    lifetime = "visit"
    # The kv class of the screen's widgets, when they are not built by the screen's own rule:
    # a screen shown again and again (guide list, guide page) takes the tree of a released
    # screen of its kind instead of building its header, list or page through kv (7-10 ms
    # of a tap, issue #17). The screen object is new and the old one released as before;
    # the tree follows language, 长辈版 and orientation through its kv bindings meanwhile.
    # The body (the screen's ``tree``) gives the screen its ids; its properties named in
    # body_properties (title, what the screen's rule showed from root) follow the screen's.
    body_class = ""
    body_properties: tuple[str, ...] = ("title",)

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.tree: Widget | None = None
        self._body_bindings: list[tuple[str, int]] = []
        if self.body_class:
            body = _FREE_BODIES.pop(self.body_class, None)
            if body is None:
                body = getattr(Factory, self.body_class)()
            self.tree = body
            self.ids = body.ids
            for name in self.body_properties:
                setattr(body, name, getattr(self, name))
                self._body_bindings.append((name, self.fbind(name, body.setter(name))))
            self.add_widget(body)

    def _free_body(self) -> None:
        """Hand the body on to the next screen of this kind (the screen is released)."""
        body = self.tree
        if body is None:
            return
        for name, uid in self._body_bindings:
            self.unbind_uid(name, uid)
        self._body_bindings = []
        self.remove_widget(body)
        _settle_scrolling(body)
        self.tree = None
        self.ids = {}
        _FREE_BODIES[self.body_class] = body

    def on_leave(self, *_args: Any) -> None:
        """Release rebuilt content when the visitor moves on."""
        from screens.blocks import release_blocks

        for name in self.release_on_leave:
            container = self.ids[name]
            release_blocks(container)
            # Emptied while scrolled down, the page would be sprung back by Kivy's scroll
            # effect, which diverges over long frames: the page shown next on this scroll
            # view (this screen again, or the next of its kind) would fly off under the
            # finger. It starts at its top anyway.
            view = container.parent
            while view is not None and view is not self and not isinstance(view, ScrollView):
                view = view.parent
            if isinstance(view, ScrollView):
                settle(view)

    @property
    def library(self) -> Library:
        """The active content library (screens showing content exist only with one)."""
        library = self.services.library
        assert library is not None, "a content screen was opened without content"
        return library

    def open(self, **params: Any) -> None:
        """Show the screen for these parameters."""
        self.params = params
        self.refresh()

    def refresh(self) -> None:
        """Recompute everything the screen shows from content and the current language."""

    def reset(self) -> None:
        """Forget everything the last visitor entered."""

    def release(self) -> None:
        """The Navigator dropped this screen: undo bindings that would keep it alive, hand
        its body (if any) to the next screen of its kind."""
        self._free_body()

    def speech_text(self) -> str:
        """The screen's main text, for read-aloud."""
        return str(self.title)
