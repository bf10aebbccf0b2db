"""Live language switching: ``tr._("Home")`` in kv re-evaluates when the language changes.

The observer pattern follows Kivy's own i18n example: kv binds to the ``_``
attribute of an Observable, and switching the language calls every binding.
Unlike the example, bindings are keyed by uid so that Kivy's builder can
drop them (``unbind_uid``) when their widget is garbage-collected; otherwise
every dynamically created widget would stay referenced forever.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from kivy.event import Observable

from kiosk.catalogs import translations

Binding = tuple[Callable[..., Any], Any, dict[str, Any]]


class Translator(Observable):
    """Translates msgids to the current language and notifies kv bindings on switch."""

    def __init__(self, language: str = "zh_CN"):
        super().__init__()
        self.observers: dict[int, Binding] = {}
        self._uids = itertools.count(1)
        self.language = language
        self.switch(language)

    def _(self, text: str) -> str:
        """The translation of text in the current language."""
        return self._gettext(text)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        """The form of singular/plural that fits count, in the current language."""
        return self._ngettext(singular, plural, count)

    def switch(self, language: str) -> None:
        """Change the language and re-evaluate every bound kv expression."""
        self.language = language
        self._gettext = translations(language).gettext
        self._ngettext = translations(language).ngettext
        for uid, (func, args, _kwargs) in list(self.observers.items()):
            try:
                func(args, None, None)
            except ReferenceError:  # the widget died before Kivy unbound it
                self.observers.pop(uid, None)

    def fbind(self, name: str, func: Callable[..., Any], args: Any = (), **kwargs: Any) -> int:
        """Bind a kv expression to '_'; kv passes its binding arguments as one tuple."""
        if name != "_":
            return super().fbind(name, func, args, **kwargs)  # type: ignore[no-any-return]
        uid = next(self._uids)
        self.observers[uid] = (func, args, kwargs)
        return uid

    def funbind(self, name: str, func: Callable[..., Any], args: Any = (), **kwargs: Any) -> None:
        """Remove a binding made by fbind."""
        if name != "_":
            super().funbind(name, func, args, **kwargs)
            return
        for uid, binding in list(self.observers.items()):
            if binding == (func, args, kwargs):
                del self.observers[uid]

    def unbind_uid(self, name: str, uid: int) -> None:
        """Remove a binding by the uid fbind returned (Kivy does this for dead widgets)."""
        if name == "_":
            self.observers.pop(uid, None)
        else:
            super().unbind_uid(name, uid)


tr = Translator()
