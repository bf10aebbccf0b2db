"""Live language switching: ``tr._("Home")`` in kv re-evaluates when the language changes.

The observer pattern follows Kivy's own i18n example: kv binds to the ``_``
attribute of an Observable, and switching the language calls every binding.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.event import Observable

from kiosk.catalogs import translations


class Translator(Observable):
    """Translates msgids to the current language and notifies kv bindings on switch."""

    observers: list[tuple[Callable[..., Any], Any, dict[str, Any]]] = []
    language = "zh_CN"

    def __init__(self, language: str = "zh_CN"):
        super().__init__()
        self.observers = []
        self.switch(language)

    def _(self, text: str) -> str:
        """The translation of text in the current language."""
        return self._gettext(text)

    def switch(self, language: str) -> None:
        """Change the language and re-evaluate every bound kv expression."""
        self.language = language
        self._gettext = translations(language).gettext
        for func, largs, _kwargs in list(self.observers):
            func(largs, None, None)

    def fbind(self, name: str, func: Callable[..., Any], args: Any = (), **kwargs: Any) -> int:
        """Bind a kv expression to '_'; kv passes its binding arguments as one tuple."""
        if name == "_":
            self.observers.append((func, args, kwargs))
            return len(self.observers)
        return super().fbind(name, func, args, **kwargs)  # type: ignore[no-any-return]

    def funbind(self, name: str, func: Callable[..., Any], args: Any = (), **kwargs: Any) -> None:
        """Remove a binding made by fbind."""
        if name == "_":
            key = (func, args, kwargs)
            if key in self.observers:
                self.observers.remove(key)
        else:
            super().funbind(name, func, args, **kwargs)


tr = Translator()
