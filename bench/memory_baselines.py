"""What bench_memory.py compares the terminal with, under the same Xvfb: Debian's Chromium in
``--kiosk`` mode on static pages written from the seed content (the home tiles, the longest
guide), and a bare Kivy app (the floor of any Kivy terminal on this GL driver); and the PSS
readings both use (``Pss`` of ``/proc/PID/smaps_rollup``, per mapping from ``smaps``)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import psutil

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_SECONDS = 25
# The floor: a bare Kivy app (a window of the terminal's size showing one label) under the
# same Xvfb and GL driver; its PSS (and the largest parts of it), printed, then it exits.
FLOOR = """
import os, sys
os.environ["KIVY_NO_ARGS"] = "1"
from kivy.config import Config
Config.set("graphics", "width", "1080")
Config.set("graphics", "height", "1920")
from kivy.app import App
from kivy.clock import Clock
from kivy.uix.label import Label
sys.path.insert(0, sys.argv[1])
from memory_baselines import pss_by_mapping, pss_kib
class Floor(App):
    def build(self):
        return Label(text="hallkiosk", font_size=48)
    def on_start(self):
        Clock.schedule_once(self.report, 2)
    def report(self, _dt):
        parts = ", ".join(f"{name} {mib:.1f}" for name, mib in pss_by_mapping(4))
        print(f"FLOOR {pss_kib() / 1024:.1f} {parts}", flush=True)
        self.stop()
Floor().run()
"""
# The terminal's home tiles (msgids of screens/home.py home_entries), shown in Chinese.
HOME_TILES = [
    ("Take a number", "Queue for a service window"),
    ("Ask a question", "Say or type what happened"),
    ("Service guides", "Materials and steps"), ("Service points", "Addresses and hours"),
    ("Search", "Type a word"), ("Legal aid self-check", "Can I get legal aid?"),
    ("Questions", "Common questions"), ("Law library", "Laws explained, with cases"),
    ("Legal calculators", "Fees and compensation"), ("Continue online", "Scan with your phone"),
    ("Rate a service", "How did we do?"), ("Complaints and suggestions", "Tell us, we call back"),
    ("Check progress", "Your case by its code"), ("Elder mode and help", "Large text, read aloud")]
PAGE_STYLE = """body{margin:0;font-family:'Noto Sans CJK SC',sans-serif;background:#f3f5f9;
color:#1c2733}header{background:#0d4c8b;color:#fff;padding:36px 48px;font-size:48px;
display:flex;justify-content:space-between}.grid{display:grid;gap:24px;padding:32px;
grid-template-columns:1fr 1fr}.tile{background:#1565c0;color:#fff;border-radius:24px;
min-height:200px;display:flex;flex-direction:column;justify-content:center;
align-items:center;font-size:46px;text-decoration:none}.tile small{font-size:28px}
article{padding:24px 56px;font-size:34px;line-height:1.6}h2{font-size:42px;color:#0d4c8b}
footer{padding:24px 48px;font-size:28px;color:#555}"""
# home -> guide (scrolled to its end) -> home, three times, then rest on home
PAGE_SCRIPT = """<script>const n=+(location.hash.slice(1)||0);
if(document.body.dataset.page=='guide'){setTimeout(()=>{scrollTo(0,document.body.scrollHeight);
setTimeout(()=>{location.href='home.html#'+(n+1)},1500)},1500)}
else if(n<3){setTimeout(()=>{location.href='guide.html#'+n},2000)}</script>"""


def write_pages(library: Any, folder: Path) -> None:
    """The Chromium kiosk's pages: home with the terminal's tiles, the longest guide."""
    from html import escape

    from kiosk.catalogs import translations

    zh = translations("zh_CN").gettext
    folder.mkdir(parents=True, exist_ok=True)

    def page(name: str, title: str, body: str) -> None:
        (folder / f"{name}.html").write_text(
            f"<!doctype html><html lang=zh-CN><meta charset=utf-8><title>{escape(title)}</title>"
            f"<style>{PAGE_STYLE}</style><body data-page={name}><header><span>"
            f"{escape(title)}</span><span>中文 | EN</span></header>{body}"
            f"<footer>{escape(zh('Call staff'))} · 12348</footer>{PAGE_SCRIPT}", "utf-8")

    tiles = "".join(f'<a class=tile href="guide.html">{escape(zh(t))}<small>{escape(zh(s))}'
                    "</small></a>" for t, s in HOME_TILES)
    page("home", zh("Public Legal Service Centre"), f"<div class=grid>{tiles}</div>")

    def texts(value: Any) -> list[str]:
        if isinstance(value, str):
            return [value] if value else []
        if isinstance(value, dict):
            return [t for key, v in value.items() if not key.endswith("_en") for t in texts(v)]
        if isinstance(value, list):
            return [t for v in value for t in texts(v)]
        return []

    guide = max(library.content.guides, key=lambda g: len("".join(texts(g.model_dump()))))
    fields = guide.model_dump()
    parts = [f"<h2>{title}</h2>" + "".join(f"<p>{escape(t)}</p>" for t in texts(fields[field]))
             for field, title in (("summary", "概述"), ("applicants", "申请对象"),
                                  ("materials", "需携带材料"), ("steps", "办理流程"),
                                  ("time_limit", "办理时限"), ("fees", "收费标准"),
                                  ("legal_basis", "法律依据"), ("where", "办理地点"))]
    page("guide", guide.title, f"<article>{''.join(parts)}</article>")


def tree_pss_kib(root: psutil.Process) -> dict[str, int]:
    """PSS in KiB of a process and all its descendants, summed per process type."""
    by_type: dict[str, int] = {}
    for process in [root, *root.children(recursive=True)]:
        try:
            kind = next((a[7:] for a in process.cmdline() if a.startswith("--type=")), "browser")
            by_type[kind] = by_type.get(kind, 0) + pss_kib(process.pid)
        except (psutil.NoSuchProcess, FileNotFoundError, ProcessLookupError):
            continue
    return by_type


def pss_kib(pid: int | str = "self") -> int:
    """Sum of Pss in /proc/PID/smaps_rollup, KiB."""
    with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
        return sum(int(line.split()[1]) for line in rollup if line.startswith("Pss:"))


def chromium_kiosk(pages: Path, seconds: int) -> tuple[float, float]:
    """Run Chromium --kiosk on the pages under the current DISPLAY; (last, largest) PSS MiB."""
    with tempfile.TemporaryDirectory(prefix="bench-chromium-") as profile:
        command = [CHROMIUM, "--kiosk", "--no-sandbox", f"--user-data-dir={profile}",
                   "--window-position=0,0", "--window-size=1080,1920", "--no-first-run",
                   "--no-default-browser-check", "--noerrdialogs", "--disable-infobars",
                   "--password-store=basic", "--disable-features=Translate",
                   "--disable-component-update", (pages / "home.html").as_uri()]
        browser = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        root = psutil.Process(browser.pid)
        samples: list[dict[str, int]] = []
        try:
            for _second in range(seconds):
                time.sleep(1)
                samples.append(tree_pss_kib(root))
        finally:
            browser.terminate()
            try:
                browser.wait(timeout=15)
            except subprocess.TimeoutExpired:
                browser.kill()
                browser.wait()
    last = samples[-1]
    print(f"Chromium --kiosk ({len(samples)} s: home -> guide detail -> home x3, then home):")
    for kind, kib in sorted(last.items(), key=lambda item: -item[1]):
        print(f"  {kind:<12} {kib / 1024:7.1f} MiB")
    totals = [sum(sample.values()) / 1024 for sample in samples]
    print(f"  {'all':<12} {totals[-1]:7.1f} MiB PSS (largest sample {max(totals):.1f} MiB)\n")
    return totals[-1], max(totals)


def bare_kivy(folder: Path) -> float:
    """PSS MiB of a bare Kivy app under the current DISPLAY (0.0 if it did not report)."""
    script = folder / "floor.py"  # a file: Kivy's App looks for its kv beside its source
    script.write_text(FLOOR, encoding="utf-8")
    done = subprocess.run([sys.executable, str(script), str(Path(__file__).parent)],
                          capture_output=True, text=True, timeout=120, check=False)
    line = next((line for line in done.stdout.splitlines() if line.startswith("FLOOR ")), "")
    if not line:
        print("bare Kivy app: no figure (it failed)\n" + done.stderr[-2000:])
        return 0.0
    _word, mib, parts = line.split(" ", 2)
    print(f"bare Kivy app (a 1080x1920 window, one label; the floor of any Kivy terminal on "
          f"this GL driver): {float(mib):.1f} MiB PSS ({parts})\n")
    return float(mib)


def pss_by_mapping(top: int = 14) -> list[tuple[str, float]]:
    """The process's PSS per mapped file ([heap], anonymous, each .so), largest first."""
    sizes: Counter[str] = Counter()
    name = ""
    with open("/proc/self/smaps") as handle:
        for line in handle:
            fields = line.split()
            if not fields[0].endswith(":"):  # a mapping's header line
                name = fields[5] if len(fields) > 5 else "[anonymous]"
                name = name if name.startswith("[") else Path(name).name
            elif fields[0] == "Pss:":
                sizes[name] += int(fields[1])
    return [(mapped, kib / 1024) for mapped, kib in sizes.most_common(top)]
