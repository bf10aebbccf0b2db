"""Start the terminal: logging, fonts, Kivy bootstrap, content, devices, then the App."""

from __future__ import annotations

import ctypes
import gc
import logging
import logging.handlers
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from content.install import install_and_load
from devices.speech import make_speaker
from kiosk.config import TerminalConfig
from kiosk.fonts import FontMissing, find_fonts
from kiosk.terminal_devices import create_printer
from protocol.config import ConfigSchemaError, merge
from provisioning.heartbeat import load_pushed_config

log = logging.getLogger(__name__)
M_ARENA_MAX = -8  # glibc's mallopt parameter
MALLOC_ARENAS = 2


def setup_logging(data_dir: Path, level: str = "INFO") -> None:
    """Log to stderr and to a size-capped file in the data folder."""
    (data_dir / "logs").mkdir(parents=True, exist_ok=True)
    file_handler = logging.handlers.RotatingFileHandler(
        data_dir / "logs" / "terminal.log", maxBytes=5_000_000, backupCount=3, encoding="utf-8")
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    root = logging.getLogger()
    for handler in (file_handler, logging.StreamHandler(sys.stderr)):
        handler.setFormatter(formatter)
        root.addHandler(handler)
    root.setLevel(level)


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> None:
    """Let glibc keep few malloc arenas: by default every thread that allocates (the input
    method and answer builders, the server link, llvmpipe's) gets its own, each holding
    freed memory of its own (about 20 MB in all here). Before the threads start."""
    try:
        ctypes.CDLL(None).mallopt(M_ARENA_MAX, arenas)
    except (OSError, AttributeError):  # not glibc
        pass


def create_app(config: TerminalConfig, *, windowed: bool = False,
               size: tuple[int, int] | None = None) -> Any:
    """Everything up to a built-but-not-running KioskApp (raises FontMissing)."""
    limit_malloc_arenas()
    data_dir = config.data_dir
    _version, pushed = load_pushed_config(data_dir)
    if pushed is not None:  # the last settings the server pushed win over the local file
        try:
            config = merge(config, pushed)
        except ConfigSchemaError as exc:  # valid alone, but not over this file
            log.error("pushed config does not fit the local config (%s): not applied", exc)
    fonts = find_fonts(config.terminal.font_path, config.terminal.font_bold_path,
                       data_dir / "fonts", cut=True)
    from kiosk import bootstrap

    bootstrap.configure(orientation=config.terminal.orientation,
                        fullscreen=config.terminal.fullscreen and not windowed,
                        kivy_home=data_dir / "kivy", fonts=fonts, size=size)
    result = install_and_load(data_dir, config.terminal.content)
    # Content is loaded once and lives as long as the process: move it out of the
    # collector's reach so full collections never walk it (they caused frame stalls).
    # No full collection first: it took about 45 ms of every start to find a few hundred
    # objects of import-time cycles, which now stay (kilobytes).
    gc.freeze()
    speech = config.speech
    speaker = make_speaker(
        speech.backend, voice_zh=speech.voice_zh, voice_en=speech.voice_en,
        rate=speech.rate, wav_dir=Path(speech.wav_dir) if speech.wav_dir else None,
    ) if speech.backend != "null" else make_speaker("null")
    from kiosk.app import KioskApp
    from kiosk.services import TerminalServices

    services = TerminalServices(config, result.library, speaker, create_printer(config),
                                startup_error=result.error)
    return KioskApp(services)


def stop_on_signals(get_app: Callable[[], Any]) -> None:
    """Let SIGTERM (systemd stop) and SIGINT end the app cleanly.

    SDL turns these signals into the same quit event as the window's close button,
    which the kiosk refuses; SDL keeps a handler that is already installed, so this
    must run before the window is created.
    """
    def handler(signum: int, _frame: Any) -> None:
        log.info("signal %s: stopping", signal.Signals(signum).name)
        app = get_app()
        if app is None:
            raise SystemExit(128 + signum)
        from kivy.clock import Clock

        Clock.schedule_once(lambda _dt: app.exit_app(), 0)

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, handler)


def run_terminal(config: TerminalConfig, *, windowed: bool = False) -> int:
    """Run the terminal until it is exited from the admin screen or stopped by a signal."""
    setup_logging(config.data_dir)
    holder: list[Any] = []
    stop_on_signals(lambda: holder[0] if holder else None)
    try:
        holder.append(create_app(config, windowed=windowed))
    except FontMissing as exc:
        log.error("%s", exc)
        print(f"错误：找不到中文字体。Error: {exc}", file=sys.stderr)
        return 2
    holder[0].run()
    return 0
