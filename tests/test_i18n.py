"""Every interface string used in code and kv has a Chinese translation in the catalog."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from kiosk.catalogs import po_path, translations

ROOT = Path(__file__).resolve().parents[1]
CODE_FOLDERS = ("screens", "kiosk")
# tr._("...") or tr._('...') in kv rules; kv strings are single literals.
KV_MSGID = re.compile(r"""\btr\._\(\s*(?P<q>["'])(?P<text>(?:\\.|(?!(?P=q)).)*)(?P=q)\s*\)""")
PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def _python_files() -> list[Path]:
    return sorted(p for folder in CODE_FOLDERS for p in (ROOT / folder).glob("*.py"))


def _kv_files() -> list[Path]:
    return sorted(p for folder in CODE_FOLDERS for p in (ROOT / folder).glob("*.kv"))


def _is_plural_call(node: ast.Call) -> bool:
    """ngettext("...", "...", n) or tr.ngettext(...): its singular is the catalog's msgid."""
    func = node.func
    return (isinstance(func, ast.Name) and func.id == "ngettext") or (
        isinstance(func, ast.Attribute) and func.attr == "ngettext")


def _forms(value):
    """A catalog id or string as one tuple of texts (plural entries hold several)."""
    return tuple(value) if isinstance(value, tuple | list) else (value,)


def _is_translate_call(node: ast.Call) -> bool:
    """_("...") or tr._("...")."""
    func = node.func
    return (isinstance(func, ast.Name) and func.id == "_") or (
        isinstance(func, ast.Attribute) and func.attr == "_"
        and isinstance(func.value, ast.Name) and func.value.id == "tr")


def _label_tables(tree: ast.Module) -> dict[str, list[str]]:
    """Module-level dicts of text, which code may pass to _() by look-up."""
    tables = {}
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name) and isinstance(node.value, ast.Dict)):
            values = [v.value for v in node.value.values
                      if isinstance(v, ast.Constant) and isinstance(v.value, str)]
            if values and len(values) == len(node.value.values):
                tables[node.targets[0].id] = values
    return tables


def _python_msgids(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"), filename=str(path))
    tables = _label_tables(tree)
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _is_plural_call(node) and len(node.args) >= 2 and \
                all(isinstance(a, ast.Constant) and isinstance(a.value, str)
                    for a in node.args[:2]):
            found.add(node.args[0].value)
            continue
        if not (isinstance(node, ast.Call) and _is_translate_call(node) and node.args):
            continue
        arg = node.args[0]
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            found.add(arg.value)
        # _(TABLE.get(key, ...)) and _(TABLE[key]) translate every value of TABLE.
        elif isinstance(arg, ast.Call) and isinstance(arg.func, ast.Attribute) and \
                isinstance(arg.func.value, ast.Name) and arg.func.value.id in tables:
            found.update(tables[arg.func.value.id])
        elif isinstance(arg, ast.Subscript) and isinstance(arg.value, ast.Name) and \
                arg.value.id in tables:
            found.update(tables[arg.value.id])
    return found


def _kv_msgids(path: Path) -> set[str]:
    return {ast.literal_eval(m["q"] + m["text"] + m["q"])
            for m in KV_MSGID.finditer(path.read_text("utf-8"))}


def used_msgids() -> dict[str, list[str]]:
    """msgid -> files that use it, across screens/ and kiosk/ (.py and .kv)."""
    used: dict[str, list[str]] = {}
    for path in _python_files():
        for msgid in _python_msgids(path):
            used.setdefault(msgid, []).append(path.relative_to(ROOT).as_posix())
    for path in _kv_files():
        for msgid in _kv_msgids(path):
            used.setdefault(msgid, []).append(path.relative_to(ROOT).as_posix())
    return used


def _catalog():
    with po_path("zh_CN").open("rb") as handle:
        return read_po(handle, locale="zh_CN")


def _raw_msgids(path: Path) -> list[str]:
    """msgids as written in a .po file (babel merges duplicates, so read the text)."""
    msgids, current = [], None
    for line in path.read_text("utf-8").splitlines():
        line = line.strip()
        if line.startswith("msgid "):
            current = [ast.literal_eval(line[len("msgid "):])]
            msgids.append(current)
        elif line.startswith('"') and current is not None:
            current.append(ast.literal_eval(line))
        else:
            current = None
    return ["".join(parts) for parts in msgids]


def test_extraction_finds_strings_in_python_and_kv():
    used = used_msgids()
    assert "Back" in used and "kiosk/widgets.kv" in used["Back"]
    assert "Search" in used and "screens/search.py" in used["Search"]
    assert len(used) > 40


def test_every_used_msgid_has_a_chinese_translation():
    catalog = _catalog()
    missing = {}
    for msgid, files in sorted(used_msgids().items()):
        message = catalog.get(msgid)
        if message is None or not message.string or message.fuzzy:
            missing[msgid] = files
    assert missing == {}, "msgids without a zh_CN translation:\n" + "\n".join(
        f"  {msgid!r}  ({', '.join(files)})" for msgid, files in missing.items())


def test_translations_are_chinese():
    catalog = _catalog()
    untranslated = [m.id for m in catalog if m.id and m.string and m.id != "LANGUAGE_SWITCH"
                    and not all(re.search(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]", text)
                                for text in _forms(m.string))]
    assert untranslated == []


def test_catalog_has_no_duplicate_msgids():
    msgids = _raw_msgids(po_path("zh_CN"))
    assert "" in msgids  # the header was read, so the parser works
    duplicates = sorted({m for m in msgids if msgids.count(m) > 1})
    assert duplicates == []


def test_placeholders_are_kept_in_translations():
    catalog = _catalog()
    wrong = {m.id: m.string for m in catalog if m.id and m.string
             and any(sorted(PLACEHOLDER.findall(_forms(m.id)[0])) != sorted(
                 PLACEHOLDER.findall(text)) for text in _forms(m.string))}
    assert wrong == {}


def test_placeholder_translations_format():
    zh = translations("zh_CN")
    for msgid in used_msgids():
        names = [p.strip("{}") for p in PLACEHOLDER.findall(msgid)]
        if names and all(name.isidentifier() for name in names):
            zh.gettext(msgid).format(**dict.fromkeys(names, 3))


def test_plural_forms_follow_the_count():
    """ngettext: English says "1 guide" and "2 guides"; Chinese has one form for both."""
    from kiosk.i18n import Translator
    from screens.base import ngettext

    en, zh = translations("en"), translations("zh_CN")
    assert en.ngettext("{count} guide", "{count} guides", 1).format(count=1) == "1 guide"
    assert en.ngettext("{count} guide", "{count} guides", 2).format(count=2) == "2 guides"
    assert en.ngettext("{count} result", "{count} results", 0) == "{count} results"
    assert zh.ngettext("{count} guide", "{count} guides", 1) == "{count} 项指南"
    assert zh.ngettext("{count} guide", "{count} guides", 7) == "{count} 项指南"
    translator = Translator("en")
    assert translator.ngettext("{count} guide", "{count} guides", 1) == "{count} guide"
    translator.switch("zh_CN")
    assert translator.ngettext("{count} result", "{count} results", 3) == "找到 {count} 条结果"
    used = used_msgids()
    assert "{count} guide" in used and "screens/categories.py" in used["{count} guide"]
    assert "{count} guides" not in used  # the plural is no msgid of its own
    assert callable(ngettext)


def test_where_a_service_is_served_counts_its_windows():
    """The ticket screens say "window 3" for one window and "windows 1, 2" for several."""
    from kiosk.i18n import tr
    from screens.ticket import where_text

    before = tr.language
    try:
        tr.switch("en")
        assert where_text([3]) == "Served at window 3"
        assert where_text([1, 2]) == "Served at windows 1, 2"
        assert where_text([]) == ""
        tr.switch("zh_CN")
        assert where_text([1, 2]) == "在 1、2 号窗口办理"
    finally:
        tr.switch(before)


def test_compiled_catalog_translates():
    assert translations("zh_CN").gettext("Back") == "返回"
    assert translations("zh_CN").gettext("Home") == "首页"
    assert translations("en").gettext("Back") == "Back"


@pytest.mark.parametrize("language", ["fr", "zh_TW"])
def test_unknown_catalog_is_an_error(language):
    with pytest.raises(FileNotFoundError):
        translations(language)
