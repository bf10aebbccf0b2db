"""Continue online: a card per 12348 online service, each with a small QR code."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

from kivy.clock import Clock, mainthread
from kivy.factory import Factory

from devices.qr import qr_modules, qr_size
from screens.base import BaseScreen, _, localized, sentences

log = logging.getLogger(__name__)


_jobs: queue.SimpleQueue[tuple[list[str], Callable[[], None]]] = queue.SimpleQueue()
_worker: list[threading.Thread] = []  # the one QR worker, started with the first job


def render_codes_then(urls: list[str], done: Callable[[], None]) -> None:
    """Work QR codes out on the QR worker thread (about 5 ms each), then call done on the
    UI thread. One long-lived worker: starting a thread for each call made the UI thread
    wait until the new thread ran (about 20 ms of a point's tap on a busy machine)."""
    if not _worker:
        _worker.append(threading.Thread(target=_work, name="qr-codes", daemon=True))
        _worker[0].start()
    _jobs.put((urls, done))


def _work() -> None:
    while True:
        urls, done = _jobs.get()
        try:
            for url in urls:
                qr_size(url)  # cached: the QRCode widgets then only blit their modules
                qr_modules(url)
        except Exception:  # a code that cannot be made is not shown; the worker goes on
            log.exception("QR codes for %s", urls)
        else:
            mainthread(done)()
        del urls, done  # the job's screen is not kept alive until the next job


class OnlineScreen(BaseScreen):
    """A grid of online services; tapping a card shows its QR code large."""

    release_on_leave = ("grid",)

    def on_kv_post(self, base_widget: object) -> None:
        """Prepare the trigger that gives every card the height of the tallest."""
        super().on_kv_post(base_widget)
        self._equalize = Clock.create_trigger(self._equalize_cards)

    def _equalize_cards(self, *_args: object) -> None:
        cards = self.ids.grid.children
        tallest = max((card.minimum_height for card in cards), default=0)
        for card in cards:
            card.uniform_height = tallest

    def refresh(self) -> None:
        """One card per online service, in content order."""
        self.title = _("Continue online")
        services = self.library.content.online if self.library else []
        grid = self.ids.grid
        grid.clear_widgets()
        self.spoken = [self.title, _("Scan a code with your phone, or tap a card to enlarge it.")]
        cards = []
        for service in services:
            # kv-declared properties cannot be passed to the constructor of a dynamic class
            card = Factory.OnlineCard()
            card.key = service.id
            card.title = localized(service, "title")
            card.description = localized(service, "description")
            card.hint = _("Tap to enlarge the code")
            card.bind(on_release=lambda widget: self.choose(widget.key),
                      minimum_height=self._equalize)
            grid.add_widget(card)
            cards.append(card)
            self.spoken.append(card.title)
        urls = [service.url for service in services]
        render_codes_then(urls, lambda: self._show_codes(cards, urls))
        self.ids.scroll.scroll_y = 1

    @staticmethod
    def _show_codes(cards: list[object], urls: list[str]) -> None:
        for card, url in zip(cards, urls, strict=True):
            card.url = url  # type: ignore[attr-defined]

    def choose(self, key: str) -> None:
        """Show one service's QR code large."""
        self.shell.open_item("online", key)

    def speech_text(self) -> str:
        """Title, how to use the page, and every service title."""
        return sentences(getattr(self, "spoken", [self.title]))
