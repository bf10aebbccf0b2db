"""Fill-in document templates: validation with exact locations, checking filled values, pre-fill."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from content.errors import ContentInvalid
from content.forms.fill import check_values, flow_answers, id_check_char, normalize, prefill
from content.forms.schema import FieldType, FormTemplate
from content.loader import load_source

SEED = Path(__file__).resolve().parents[2] / "content" / "seed"
TODAY = dt.date(2026, 12, 6)
VALID_ID = "11010519491231002X"  # the check character of GB 11643's worked example


@pytest.fixture(scope="module")
def seed_forms() -> dict[str, FormTemplate]:
    return {form.id: form for form in load_source(SEED).forms}


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return Path(shutil.copytree(SEED, tmp_path / "seed"))


def _errors(source: Path) -> list[tuple[str, int | None, str | None, str | None, str]]:
    with pytest.raises(ContentInvalid) as caught:
        load_source(source)
    return [(e.file, e.line, e.item, e.field, e.message) for e in caught.value.errors]


def _edit(path: Path, old: str, new: str, count: int = 1) -> int:
    """Replace old (once) and give the 1-based line where it was."""
    text = path.read_text("utf-8")
    assert old in text
    line = text[:text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, count), "utf-8")
    return line


def test_seed_has_the_four_documents(seed_forms):
    assert set(seed_forms) >= {"legal-aid-application", "people-mediation-application",
                               "labour-arbitration-application", "civil-complaint-elements"}
    assert seed_forms["civil-complaint-elements"].layout == "elements"
    for form in seed_forms.values():
        kinds = {field.type for field in form.fields()}
        assert FieldType.ID_NUMBER in kinds and FieldType.PHONE in kinds
        assert all(field.label_en for field in form.fields())


def test_duplicate_key_is_reported_at_its_line(source):
    path = source / "forms" / "people-mediation-application.yaml"
    line = _edit(path, "key: respondent_phone", "key: phone")
    errors = _errors(source)
    assert errors == [("forms/people-mediation-application.yaml", line,
                       "people-mediation-application", "sections.1.fields.1.key",
                       "field key 'phone' is already used at line "
                       f"{_line(path, 'key: phone')}")]


def _line(path: Path, needle: str) -> int:
    return next(n for n, text in enumerate(path.read_text("utf-8").splitlines(), 1)
                if needle in text)


def test_bad_type_and_missing_choices_at_their_lines(source):
    path = source / "forms" / "labour-arbitration-application.yaml"
    _edit(path, "type: date\n", "type: calendar\n")
    choices_line = _edit(path, "        choices: [男, 女]\n", "")
    type_line = _line(path, "type: calendar")
    errors = _errors(source)
    assert ("forms/labour-arbitration-application.yaml", type_line,
            "labour-arbitration-application", "sections.0.fields.2.type",
            "Input should be 'text', 'phone', 'id_number', 'date', 'choice', 'number' or "
            "'multiline'") in errors
    gender = [e for e in errors if e[3] == "sections.0.fields.1"]
    assert gender and gender[0][1] == choices_line - 4  # the field's own line ("- key: gender")
    assert "a choice field needs at least two choices" in gender[0][4]


def test_prefill_must_name_a_real_flow_node_and_answer(source):
    path = source / "forms" / "legal-aid-application.yaml"
    node_line = _edit(path, "node: civil_matter", "node: civil_matters")
    map_line = _edit(path, "其他或不确定: 其他", "不知道: 其他")
    errors = _errors(source)
    file, item = "forms/legal-aid-application.yaml", "legal-aid-application"
    assert (file, node_line, item, "sections.1.fields.2.prefill.node",
            "flow 'legal-aid-check' has no node 'civil_matters'") in errors
    assert (file, map_line, item, "sections.1.fields.0.prefill.map.不知道",
            "'不知道' is not an answer of node 'matter_type'; its answers are: 刑事案件, "
            "民事或行政纠纷, 其他或不确定") in errors


def test_file_name_and_unknown_guide(source):
    path = source / "forms" / "civil-complaint-elements.yaml"
    guide_line = _edit(path, "guides: [LS-001, JCFW-001]", "guides: [LS-001, XX-404]")
    path.rename(path.with_name("complaint.yaml"))
    errors = _errors(source)
    assert ("forms/complaint.yaml", 1, "civil-complaint-elements", "id",
            "file name must be the template id followed by .yaml") in errors
    assert ("forms/complaint.yaml", guide_line, "civil-complaint-elements", "guides.1",
            "unknown guide 'XX-404'") in errors


def test_id_check_character():
    assert id_check_char(VALID_ID[:17]) == "X"
    # By hand: weighted sum 7+9+0+5+0+4+2+9+54+0+0+27+0+35+0+0+2 = 154, 154 % 11 = 0 -> "1".
    assert id_check_char("11010119900307001") == "1"


def _filled(form: FormTemplate, **overrides: str) -> dict[str, str]:
    values = {"name": "王小明", "id_number": VALID_ID, "phone": "13812345678",
              "address": "幸福路12号", "matter_type": "民事或行政纠纷", "facts": "拖欠工资"}
    return {**values, **overrides}


def test_a_good_form_passes(seed_forms):
    form = seed_forms["legal-aid-application"]
    assert check_values(form, _filled(form), TODAY) == []
    assert check_values(form, _filled(form, phone="0571-87654321", id_number=VALID_ID.lower()),
                        TODAY) == []
    assert check_values(form, _filled(form, phone="１３８１２３４５６７８"), TODAY) == []


def test_phone_numbers_written_as_people_do_are_printed_in_one_form(seed_forms):
    form = seed_forms["legal-aid-application"]
    phone = next(f for f in form.fields() if f.key == "phone")
    for typed, printed in (("+86 138 1234 5678", "13812345678"),
                           ("138-1234-5678", "13812345678"),
                           ("010 1234 5678", "010-12345678"),
                           ("+86 571 8765 4321", "0571-87654321")):
        assert check_values(form, _filled(form, phone=typed), TODAY) == [], typed
        assert normalize(phone, typed) == printed
    assert normalize(phone, "12345") == "12345"  # refused as typed, not altered


def test_missing_required_and_bad_formats_are_explained(seed_forms):
    form = seed_forms["legal-aid-application"]
    values = _filled(form, name="  ", phone="1381234567", id_number="110105194912310021",
                     household_size="0", monthly_income="很多")
    problems = {p.key: p for p in check_values(form, values, TODAY)}
    assert set(problems) == {"name", "phone", "id_number", "household_size", "monthly_income"}
    assert problems["name"].message == "姓名：必须填写"
    assert problems["name"].message_en == "Full name: is required"
    assert "11位手机号码" in problems["phone"].message
    assert "11-digit mobile" in problems["phone"].message_en
    assert "校验不通过" in problems["id_number"].message
    assert "check digit" in problems["id_number"].message_en
    assert problems["household_size"].message == "家庭人口（人）：不能小于1"
    assert problems["monthly_income"].message_en == ("Household income per month (yuan): "
                                                     "enter a number")


@pytest.mark.parametrize(("number", "why"), [
    ("1101051949123100", "应为18位"), ("11010519491331002X", "出生日期"),
    ("11010520991231002X", "出生日期"), ("1101051949123100XX", "应为18位"),
])
def test_id_numbers_refused(seed_forms, number, why):
    form = seed_forms["legal-aid-application"]
    problems = check_values(form, _filled(form, id_number=number), TODAY)
    assert len(problems) == 1 and why in problems[0].message


def test_choice_date_length_and_unknown_keys(seed_forms):
    form = seed_forms["labour-arbitration-application"]
    values = {"name": "李", "id_number": VALID_ID, "phone": "13812345678", "address": "x" * 81,
              "employer": "某公司", "employer_address": "某路", "claims": "工资", "facts": "欠薪",
              "gender": "未知", "start_date": "2024-02-30", "nickname": "小李"}
    problems = {p.key: p.message for p in check_values(form, values, TODAY)}
    assert problems == {"nickname": "表格中没有“nickname”这一项",
                        "address": "住所（送达地址）：最多填写80个字，现在是81个字",
                        "gender": "性别：请从选项中选择：男、女",
                        "start_date": "入职时间：日期格式应为 年-月-日，如 2024-03-15"}


def test_prefill_from_the_legal_aid_self_check(seed_forms):
    content = load_source(SEED)
    flow = next(f for f in content.flows if f.id == "legal-aid-check")
    visited = ["matter_type", "civil_special", "civil_matter", "worker_check",
               "result_worker_exempt"]
    answers = flow_answers(flow, visited)
    assert answers["matter_type"] == "民事或行政纠纷"
    assert answers["civil_matter"] == "讨要工资"
    values = prefill(seed_forms["legal-aid-application"], flow, visited)
    assert values == {"matter_type": "民事或行政纠纷", "situation": "无", "dispute": "讨要工资"}
    assert prefill(seed_forms["legal-aid-application"], flow,
                   ["matter_type", "result_not_covered"]) == {"matter_type": "其他"}
