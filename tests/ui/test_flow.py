"""The legal-aid self-check to both kinds of result, tapping the visible answers."""

from __future__ import annotations

from typing import Any

import pytest

from content.install import SEED
from content.loader import load_source

FLOW = load_source(SEED).flows[0]


def open_self_check(ui: Any) -> None:
    ui.tap(ui.screen)
    ui.tap("法律援助自测")
    assert ui.app.nav.current == "flow"


@pytest.mark.parametrize(
    ("answers", "result_key", "expected_phrase"),
    [
        (["民事或行政纠纷", "遭受家庭暴力、虐待、遗弃"], "result_no_econ_check", "第三十二条"),
        (["民事或行政纠纷", "都不是", "赡养费、抚养费、扶养费", "是，经济困难"],
         "result_econ_check", "第三十一条"),
    ],
)
def test_self_check_reaches_result(ui: Any, answers: list[str], result_key: str,
                                   expected_phrase: str) -> None:
    open_self_check(ui)
    for answer in answers:
        ui.tap(answer)
    screen = ui.screen
    assert screen.at_result and screen.node_key == result_key
    result = FLOW.nodes[result_key]
    shown = "\n".join(ui.texts())
    assert result.title in shown
    assert result.materials, "every result lists the materials to bring"
    for material in result.materials:
        assert material in shown
    assert expected_phrase in shown


def test_previous_question_and_restart(ui: Any) -> None:
    open_self_check(ui)
    first_question = ui.screen.node_key
    ui.tap("民事或行政纠纷")
    assert ui.screen.node_key != first_question
    ui.tap("上一题")
    assert ui.screen.node_key == first_question
    ui.tap("民事或行政纠纷")
    ui.tap("重新开始")
    assert ui.screen.node_key == first_question and not ui.screen.path
