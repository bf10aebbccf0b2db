"""Each calculator against worked examples computed by hand from the legal text."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal as D

import pytest

from content.calculators.base import CalcInputError
from content.calculators.court_fee import court_fee, execution_fee
from content.calculators.figures import FigureKind, FigureMissing, figure_on
from content.calculators.injury import (
    death_compensation,
    disability_compensation,
    work_injury_lump_sum,
)
from content.calculators.interest import lpr_interest
from content.calculators.labour import double_wage, economic_compensation, illegal_termination
from content.calculators.registry import CALCULATORS
from content.errors import ContentInvalid
from content.loader import load_source
from hallkiosk_cli import main

day = dt.date.fromisoformat


# 诉讼费用交纳办法 第十三条: 50 up to 10,000, then 2.5 / 2 / 1.5 / 1 / 0.9 / 0.8 / 0.7 /
# 0.6 / 0.5 % on each part.
@pytest.mark.parametrize(("amount", "fee"), [
    ("1", "50.00"), ("10000", "50.00"), ("10000.01", "50.00"), ("10400", "60.00"),
    ("100000", "2300.00"), ("100000.01", "2300.00"), ("150000", "3300.00"),
    ("200000", "4300.00"), ("500000", "8800.00"), ("1000000", "13800.00"),
    ("2000000", "22800.00"), ("5000000", "46800.00"), ("10000000", "81800.00"),
    ("20000000", "141800.00"), ("20000100", "141800.50"), ("30000000", "191800.00"),
])
def test_property_case_fee_at_every_band_boundary(amount, fee):
    assert court_fee(D(amount)).result == D(fee)


def test_property_fee_working_names_each_band_and_simple_procedure_halves():
    result = court_fee(D(150000), procedure="simple")
    assert result.result == D("1650.00")
    assert result.working[1] == ("超过10,000.00元至100,000.00元的部分 90,000.00元 × 2.5% = "
                                 "2,250.00元")
    assert result.working[2] == ("超过100,000.00元至200,000.00元的部分 50,000.00元 × 2% = "
                                 "1,000.00元")
    assert [(b.law, b.article) for b in result.basis] == [("litigation-fees-measures", 13),
                                                         ("litigation-fees-measures", 16)]


@pytest.mark.parametrize(("kwargs", "fee"), [
    ({"case_type": "divorce"}, "300.00"),
    ({"case_type": "divorce", "amount": D(200000)}, "300.00"),
    ({"case_type": "divorce", "amount": D(300000)}, "800.00"),
    ({"case_type": "divorce", "amount": D(300000), "divorce_base": D(50)}, "550.00"),
    ({"case_type": "divorce", "amount": D(300000), "procedure": "simple"}, "400.00"),
    ({"case_type": "labour"}, "10.00"),
    ({"case_type": "labour", "procedure": "simple"}, "5.00"),
])
def test_divorce_and_labour_cases(kwargs, fee):
    assert court_fee(**kwargs).result == D(fee)


# 第十四条: 50 up to 10,000, then 1.5 / 1 / 0.5 / 0.1 %.
@pytest.mark.parametrize(("amount", "fee"), [
    ("10000", "50.00"), ("500000", "7400.00"), ("5000000", "52400.00"),
    ("10000000", "77400.00"), ("20000000", "87400.00"),
])
def test_execution_fee_bands(amount, fee):
    assert execution_fee(D(amount)).result == D(fee)


@pytest.mark.parametrize(("call", "field"), [
    (lambda: court_fee(D(0)), "amount"),
    (lambda: court_fee(D(-5)), "amount"),
    (lambda: court_fee(D(100), case_type="tax"), "case_type"),
    (lambda: court_fee(D(100), procedure="fast"), "procedure"),
    (lambda: court_fee(case_type="divorce", divorce_base=D(301)), "divorce_base"),
    (lambda: execution_fee(D(0)), "amount"),
])
def test_court_fee_refuses_bad_input_in_both_languages(call, field):
    with pytest.raises(CalcInputError) as caught:
        call()
    assert caught.value.field == field and caught.value.message_zh and caught.value.message_en


# 劳动合同法 第四十七条.
@pytest.mark.parametrize(("start", "end", "months"), [
    ("2022-01-01", "2025-08-01", "4"),     # 3 years 7 months: the 7 months count as a year
    ("2025-01-01", "2025-06-30", "0.5"),   # under six months: half a month
    ("2025-01-01", "2025-07-01", "1"),     # exactly six months: one year
    ("2023-03-01", "2025-03-01", "2"),     # whole years only
    ("2023-03-01", "2025-03-02", "2.5"),   # one day over: half a month more
])
def test_economic_compensation_years(start, end, months):
    result = economic_compensation(D(6000), day(start), day(end), D(8000))
    assert result.result == D(months) * 6000


def test_three_times_cap_and_twelve_year_limit():
    at_cap = economic_compensation(D(24000), day("2010-01-01"), day("2025-01-01"), D(8000))
    assert at_cap.result == D(15 * 24000)  # at three times, no cap and no year limit
    over = economic_compensation(D("24000.01"), day("2010-01-01"), day("2025-01-01"), D(8000))
    assert over.result == D(12 * 24000)
    assert "年限最高不超过十二年：15 年按 12 年计" in over.working
    short = economic_compensation(D(30000), day("2015-01-01"), day("2025-01-01"), D(8000))
    assert short.result == D(10 * 24000)
    twelve = economic_compensation(D(30000), day("2013-01-01"), day("2025-01-01"), D(8000))
    assert twelve.result == D(12 * 24000)
    uncapped = economic_compensation(D(30000), day("2015-01-01"), day("2025-01-01"))
    assert uncapped.result == D(10 * 30000) and uncapped.notes


def test_illegal_termination_is_twice_the_compensation():
    result = illegal_termination(D(5000), day("2023-06-01"), day("2025-06-01"), D(8000))
    assert result.result == D(20000)
    assert [b.article for b in result.basis] == [87, 47]


@pytest.mark.parametrize(("signed", "owed"), [
    ("2025-03-20", "0.00"),       # signed within the first month
    ("2025-04-01", "0.00"),       # signed the day the double wage would start
    ("2025-04-16", "2000.00"),    # 15 days: 4000 / 30 x 15
    ("2025-09-01", "20000.00"),   # April to August: five months
    ("2026-03-01", "44000.00"),   # a full year: eleven months
    ("2027-01-01", "44000.00"),   # never more than eleven months
])
def test_double_wage_from_the_second_month_at_most_eleven(signed, owed):
    assert double_wage(D(4000), day("2025-03-01"), day(signed)).result == D(owed)


def test_labour_inputs_refused():
    with pytest.raises(CalcInputError) as caught:
        economic_compensation(D(-1), day("2020-01-01"), day("2021-01-01"))
    assert caught.value.message_zh == "月工资必须大于0"
    assert caught.value.message_en == "the monthly wage must be greater than 0"
    with pytest.raises(CalcInputError) as caught:
        economic_compensation(D(5000), day("2021-01-01"), day("2020-01-01"))
    assert caught.value.field == "end" and "早于" in caught.value.message_zh
    with pytest.raises(CalcInputError):
        double_wage(D(4000), day("2025-03-01"), day("2025-02-01"))


# 工伤保险条例 第三十五至三十七条: 27, 25, 23, 21, 18, 16, 13, 11, 9, 7 months.
@pytest.mark.parametrize(("grade", "months", "article"), [
    (1, 27, 35), (2, 25, 35), (3, 23, 35), (4, 21, 35), (5, 18, 36), (6, 16, 36),
    (7, 13, 37), (8, 11, 37), (9, 9, 37), (10, 7, 37),
])
def test_work_injury_lump_sum_by_grade(grade, months, article):
    result = work_injury_lump_sum(D(6000), grade)
    assert result.result == D(months * 6000)
    assert result.basis[0].article == article


@pytest.mark.parametrize("grade", [0, 11, -1])
def test_grade_outside_one_to_ten_is_refused(grade):
    with pytest.raises(CalcInputError) as caught:
        work_injury_lump_sum(D(6000), grade)
    assert caught.value.message_en == f"the disability grade runs from 1 to 10, not {grade}"
    with pytest.raises(CalcInputError):
        disability_compensation(D(50000), 30, grade)


# 人身损害赔偿解释 第十二条、第十五条: 20 years; from 60 one year less a year; from 75 five.
@pytest.mark.parametrize(("age", "years"), [
    (0, 20), (59, 20), (60, 20), (61, 19), (65, 15), (74, 6), (75, 5), (90, 5),
])
def test_death_compensation_years_by_age(age, years):
    assert death_compensation(D(50000), age).result == D(50000 * years)


@pytest.mark.parametrize(("grade", "share"), [(1, "1"), (2, "0.9"), (5, "0.6"), (10, "0.1")])
def test_disability_compensation_by_grade(grade, share):
    assert disability_compensation(D(50000), 30, grade).result == D(50000 * 20) * D(share)
    assert disability_compensation(D(50000), 70, grade).result == D(50000 * 10) * D(share)


def test_injury_inputs_refused():
    with pytest.raises(CalcInputError):
        death_compensation(D(50000), 151)
    with pytest.raises(CalcInputError):
        death_compensation(D(0), 40)


RATES = [(day("2023-08-21"), D("3.45")), (day("2024-07-22"), D("3.35")),
         (day("2024-10-21"), D("3.10"))]


def test_lpr_interest_uses_the_rate_in_force_each_day():
    result = lpr_interest(D(100000), day("2024-07-01"), day("2024-11-01"), RATES)
    # 21 days at 3.45 %, 91 at 3.35 %, 11 at 3.10 %, actual / 365:
    # 198.4932 + 835.2055 + 93.4247 = 1127.1233
    assert result.result == D("1127.12")
    assert len([w for w in result.working if "天，年利率" in w]) == 3
    one_rate = lpr_interest(D(36500), day("2024-11-01"), day("2024-11-11"), RATES)
    assert one_rate.result == D("31.00")  # 36500 x 3.1 % x 10 / 365
    doubled = lpr_interest(D(36500), day("2024-11-01"), day("2024-11-11"), RATES, D(2))
    assert doubled.result == D("62.00")
    assert lpr_interest(D(100), day("2024-11-01"), day("2024-11-01"), RATES).result == D(0)


def test_lpr_interest_refuses_reversed_dates_and_days_without_a_rate():
    with pytest.raises(CalcInputError) as caught:
        lpr_interest(D(100), day("2024-11-02"), day("2024-11-01"), RATES)
    assert caught.value.field == "end"
    with pytest.raises(CalcInputError) as caught:
        lpr_interest(D(100), day("2020-01-01"), day("2024-11-01"), RATES)
    assert caught.value.field == "start"


def test_seed_figures_by_date(seed_dir):
    figures = load_source(seed_dir).figures
    wage = FigureKind.AVERAGE_MONTHLY_WAGE
    assert figure_on(figures, wage, day("2025-06-30")).value == D(7600)
    assert figure_on(figures, wage, day("2025-07-01")).value == D(8000)
    with pytest.raises(FigureMissing):
        figure_on(figures, wage, day("2024-06-30"))
    assert figure_on(figures, FigureKind.LPR_ONE_YEAR, day("2024-10-20")).value == D("3.35")


def test_figures_out_of_date_order_are_an_error_with_their_line(good_source):
    (good_source / "figures.yaml").write_text(
        "- id: lpr-1y\n  name: LPR\n  unit: '%'\n  region: 全国\n  values:\n"
        "    - applies_from: 2024-10-21\n      value: 3.1\n"
        "    - applies_from: 2024-07-22\n      value: 3.35\n"
        "- id: no-such-figure\n  name: X\n  unit: 元\n  region: 全国\n  values:\n"
        "    - applies_from: 2024-10-21\n      value: -1\n", "utf-8")
    with pytest.raises(ContentInvalid) as caught:
        load_source(good_source)
    found = [(e.file, e.line, e.item, e.field) for e in caught.value.errors]
    assert found == [("figures.yaml", 5, "lpr-1y", "values"),
                     ("figures.yaml", 10, "no-such-figure", "id"),
                     ("figures.yaml", 16, "no-such-figure", "values.0.value")]


def test_every_calculator_is_listed_with_its_inputs(capsys):
    with pytest.raises(SystemExit):
        main(["calc", "--help"])
    out = capsys.readouterr().out
    for calculator in CALCULATORS.values():
        assert calculator.name in out
        for spec in calculator.inputs:
            assert f"--{spec.name.replace('_', '-')}" in out


def test_cli_court_fee_json(capsys):
    assert main(["calc", "court-fee", "--amount", "150000", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["result"] == 3300
    assert printed["basis"][0] == {"law": "litigation-fees-measures", "article": 13,
                                   "label": "《诉讼费用交纳办法》第十三条",
                                   "label_en": "Measures on the Payment of Litigation Costs, "
                                               "Article 13"}
    assert len(printed["working"]) == 4 and "仅供参考" in printed["disclaimer"]
    # the same working in English, line for line
    assert printed["working_en"] == [
        "Up to 10,000.00 yuan: 50.00 yuan per case",
        "The part above 10,000.00 yuan up to 100,000.00 yuan: 90,000.00 yuan × 2.5% = "
        "2,250.00 yuan",
        "The part above 100,000.00 yuan up to 200,000.00 yuan: 50,000.00 yuan × 2% = "
        "1,000.00 yuan",
        "Bands added up: 3,300.00 yuan"]


def test_cli_takes_local_figures_from_the_content(capsys):
    assert main(["calc", "economic-compensation", "--monthly-wage", "30000", "--start",
                 "2010-01-01", "--end", "2025-08-01", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["result"] == 12 * 24000  # seed: 8000 a month
    assert main(["calc", "lpr-interest", "--principal", "100000", "--start", "2024-07-01",
                 "--end", "2024-11-01", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["result"] == 1127.12
    assert main(["calc", "death-compensation", "--age", "65", "--on", "2026-02-01"]) == 0
    assert "750,000.00元（仅供参考）" in capsys.readouterr().out


def test_cli_input_errors_exit_2_with_both_languages(capsys):
    assert main(["calc", "work-injury", "--monthly-wage", "5000", "--grade", "11"]) == 2
    err = capsys.readouterr().err
    assert "伤残等级只能是一级至十级" in err and "runs from 1 to 10" in err
    assert main(["calc", "execution-fee"]) == 2
    assert "--amount" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["calc", "court-fee", "--amount", "abc"])


CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("result", [
    court_fee(D(30000000)), court_fee(D(300000), "divorce", "simple", D(200)),
    court_fee(case_type="labour"), execution_fee(D(6000000)),
    economic_compensation(D(30000), day("2010-01-01"), day("2025-08-01"), D(8000)),
    economic_compensation(D(6000), day("2022-01-01"), day("2025-08-01")),
    illegal_termination(D(5000), day("2023-01-01"), day("2025-01-01"), D(8000)),
    double_wage(D(4000), day("2025-03-01"), day("2025-09-01")),
    double_wage(D(4000), day("2025-03-01"), day("2025-03-20")),
    work_injury_lump_sum(D(6000), 7), disability_compensation(D(50000), 66, 3),
    death_compensation(D(50000), 80), lpr_interest(D(100000), day("2024-06-01"),
                                                   day("2024-09-01"), RATES, D(2)),
], ids=lambda result: result.basis[0].label_en)
def test_working_notes_and_basis_read_in_english_line_for_line(result):
    assert len(result.working_en) == len(result.working)
    assert len(result.notes_en) == len(result.notes)
    for zh, en in zip(result.working + result.notes, result.working_en + result.notes_en,
                      strict=True):
        assert en and not CJK.search(en), en
        if "=" in zh:  # a sum: the same figures in the same order in both languages
            assert re.findall(r"[\d,.]*\d", zh) == re.findall(r"[\d,.]*\d", en), (zh, en)
    assert all(b.label_en and not CJK.search(b.label_en) for b in result.basis)
