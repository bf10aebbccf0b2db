"""Base screen: parameters, language refresh, reset and read-aloud text."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kivy.properties import DictProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.i18n import tr

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

    def on_leave(self, *_args: Any) -> None:
        """Release rebuilt content when the visitor moves on."""
        from screens.blocks import release_blocks

        for name in self.release_on_leave:
            release_blocks(self.ids[name])

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
        """The Navigator dropped this screen: undo bindings that would keep it alive."""

    def speech_text(self) -> str:
        """The screen's main text, for read-aloud."""
        return str(self.title)
