"""Personal numbers and e-mail addresses are masked out of questions before they are kept."""

from __future__ import annotations

import pytest

from protocol.privacy import MAX_QUESTION, normalise_question


@pytest.mark.parametrize(("asked", "kept"), [
    ("我的手机是13800138000，怎么申请法律援助", "我的手机是[手机号],怎么申请法律援助"),
    ("电话 +86 139-1234-5678 可以吗", "电话 [手机号] 可以吗"),
    ("打 １８６ ０００１ ２２３３ 找谁", "打 [手机号] 找谁"),
    ("座机010-12345678能打吗", "座机[电话]能打吗"),
    ("(0755)87654321 是哪里", "[电话] 是哪里"),
    ("身份证号11010519491231002X丢了", "身份证号[身份证号]丢了"),
    ("身份证 110105 19491231 0021", "身份证 [身份证号]"),
    ("银行卡6222021234567890123冻结了", "银行卡[卡号]冻结了"),
    ("卡号 6222 0212 3456 7890 怎么办", "卡号 [卡号] 怎么办"),
    ("发到 Zhang.San+law@example.com.cn 吧", "发到 [邮箱] 吧"),
    ("我的电话是88776655", "我的电话是[号码]"),
    ("我的号码一三八零零一三八零零零", "我的号码[号码]"),
])
def test_personal_numbers_are_masked(asked: str, kept: str) -> None:
    assert normalise_question(asked) == kept


@pytest.mark.parametrize("asked", [
    "欠款50000元怎么起诉", "2026-12-06 开门吗", "拨打12348有用吗", "劳动仲裁要多久",
    "第三百零五条是什么意思"])
def test_ordinary_numbers_and_words_stay(asked: str) -> None:
    assert normalise_question(asked) == asked


def test_the_same_wording_gives_the_same_text() -> None:
    variants = ["离婚财产怎么分？", "  离婚财产怎么分  ", "离婚财产\t怎么分?", "离婚财产怎么分。"]
    kept = {normalise_question(v) for v in variants}
    assert len(kept) == 2  # the tab-split one keeps a space
    assert normalise_question("ＡＢＣ 离婚\x00财产？") == "abc 离婚 财产"
    assert normalise_question("What IS Legal Aid?") == "what is legal aid"


def test_long_questions_are_bounded_and_empty_ones_stay_empty() -> None:
    assert len(normalise_question("问" * 1000)) == MAX_QUESTION
    assert normalise_question(" ？ ") == ""
