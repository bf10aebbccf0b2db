"""Labour calculators: 经济补偿, 违法解除赔偿金, 未签书面劳动合同二倍工资 (劳动合同法)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from content.calculators.base import (
    Basis,
    CalcResult,
    Steps,
    require_order,
    require_positive,
    yuan,
    yuan_en,
)
from content.calculators.dates import add_months, whole_months

LAW = "labour-contract-law"
ART47 = Basis(LAW, 47, "《中华人民共和国劳动合同法》第四十七条",
              "Labour Contract Law of the PRC, Article 47")
ART82 = Basis(LAW, 82, "《中华人民共和国劳动合同法》第八十二条",
              "Labour Contract Law of the PRC, Article 82")
ART87 = Basis(LAW, 87, "《中华人民共和国劳动合同法》第八十七条",
              "Labour Contract Law of the PRC, Article 87")
CAP_TIMES, CAP_YEARS = Decimal(3), Decimal(12)
DAYS_PER_MONTH = Decimal(30)  # a part month is paid by calendar days, 30 to the month


def service_years(start: dt.date, end: dt.date) -> tuple[Decimal, str, str]:
    """Years counted for 经济补偿: whole years; 6 months or more one year; less, half a year.
    Returns the years and the working line in Chinese and English."""
    months, days = whole_months(start, end)
    years, rest = divmod(months, 12)
    counted = Decimal(years)
    if rest >= 6:
        counted += 1
        rule, rule_en = ("满六个月不满一年的部分按一年计算",
                         "six months or more count as a full year")
    elif rest or days:
        counted += Decimal("0.5")
        rule, rule_en = ("不满六个月的部分按半年（半个月工资）计算",
                         "less than six months counts as half a year (half a month's wage)")
    else:
        rule, rule_en = "恰为整年", "whole years exactly"
    return (counted, f"工作年限 {years}年{rest}个月{days}天：{rule}，计 {counted:g} 年",
            f"Years of service {years} years {rest} months {days} days: {rule_en}; "
            f"counted as {counted:g} years")


def economic_compensation(monthly_wage: Decimal, start: dt.date, end: dt.date,
                          average_wage: Decimal | None = None) -> CalcResult:
    """经济补偿 = counted years × monthly wage, capped at 3× the local average and 12 years."""
    require_positive("monthly_wage", monthly_wage, "月工资", "the monthly wage")
    require_order(start, end)
    if average_wage is not None:
        require_positive("average_wage", average_wage, "上年度职工月平均工资",
                         "the average monthly wage")
    years, working_years, working_years_en = service_years(start, end)
    working, notes = Steps(), Steps()
    working.add(working_years, working_years_en)
    base = monthly_wage
    if average_wage is None:
        notes.add("未提供本地区上年度职工月平均工资，未核对三倍封顶",
                  "No local average wage given: the 3x cap was not checked")
    elif monthly_wage > CAP_TIMES * average_wage:
        base = CAP_TIMES * average_wage
        working.add(f"月工资 {yuan(monthly_wage)} 高于上年度职工月平均工资 "
                    f"{yuan(average_wage)} 的三倍，按三倍 {yuan(base)} 计算",
                    f"The monthly wage {yuan_en(monthly_wage)} is above three times last "
                    f"year's average monthly wage {yuan_en(average_wage)}: three times, "
                    f"{yuan_en(base)}, is used")
        if years > CAP_YEARS:
            working.add(f"年限最高不超过十二年：{years:g} 年按 12 年计",
                        f"At most twelve years are counted: {years:g} years count as 12")
            years = CAP_YEARS
    else:
        working.add(f"月工资未超过上年度职工月平均工资的三倍 {yuan(CAP_TIMES * average_wage)}"
                    "，按实际月工资计算",
                    "The monthly wage is not above three times last year's average monthly "
                    f"wage ({yuan_en(CAP_TIMES * average_wage)}): the actual wage is used")
    result = years * base
    working.add(f"{years:g} × {yuan(base)} = {yuan(result)}",
                f"{years:g} × {yuan_en(base)} = {yuan_en(result)}")
    return CalcResult.of(result, working, [ART47], notes)


def illegal_termination(monthly_wage: Decimal, start: dt.date, end: dt.date,
                        average_wage: Decimal | None = None) -> CalcResult:
    """违法解除或者终止的赔偿金: twice the 经济补偿."""
    compensation = economic_compensation(monthly_wage, start, end, average_wage)
    result = compensation.result * 2
    working, notes = Steps(), Steps()
    working.zh, working.en = list(compensation.working), list(compensation.working_en)
    notes.zh, notes.en = list(compensation.notes), list(compensation.notes_en)
    working.add(f"赔偿金为经济补偿标准的二倍：{yuan(compensation.result)} × 2 = {yuan(result)}",
                "Compensation is twice the severance: "
                f"{yuan_en(compensation.result)} × 2 = {yuan_en(result)}")
    return CalcResult.of(result, working, [ART87, ART47], notes)


def double_wage(monthly_wage: Decimal, start: dt.date, signed: dt.date) -> CalcResult:
    """The extra wage owed without a written contract: from the second month, at most 11."""
    require_positive("monthly_wage", monthly_wage, "月工资", "the monthly wage")
    require_order(start, signed, "start", "signed")
    first = add_months(start, 1)  # 用工满一个月的次日
    last = min(signed, add_months(start, 12))  # 补订之日或满一年之日，均不计入
    working = Steps()
    working.add(f"用工之日 {start}，自满一个月的次日 {first} 起计算",
                f"Work began on {start}; counted from {first}, the day after the first "
                "full month")
    if last <= first:
        working.add("用工未超过一个月即订立书面劳动合同，不产生二倍工资",
                    "A written contract was signed within the first month: no double wage "
                    "is owed")
        return CalcResult.of(Decimal(0), working, [ART82])
    months, days = whole_months(first, last)
    capped = last != signed
    working.add(f"计算至 {last} 的前一日：{months}个月{days}天"
                + ("（最多十一个月）" if capped else ""),
                f"Counted to the day before {last}: {months} months {days} days"
                + (" (at most eleven months)" if capped else ""))
    extra = monthly_wage * months + monthly_wage * days / DAYS_PER_MONTH
    working.add(f"每月另付一倍工资：{yuan(monthly_wage)} × {months} + {yuan(monthly_wage)}"
                f" ÷ 30 × {days} = {yuan(extra)}",
                f"One extra month's wage for each month: {yuan_en(monthly_wage)} × {months} + "
                f"{yuan_en(monthly_wage)} ÷ 30 × {days} = {yuan_en(extra)}")
    notes = Steps()
    notes.add("结果为应另行支付的一倍工资差额（已发的正常工资不计在内）；"
              "不足一月的按月工资÷30×天数折算",
              "The result is the extra wage owed on top of the normal wage already paid; "
              "a part month is the monthly wage ÷ 30 × days")
    notes.add("用工满一年仍未订立的，视为已订立无固定期限劳动合同（劳动合同法第十四条）",
              "With no written contract a full year after work began, an open-ended contract "
              "is deemed signed (Labour Contract Law, Article 14)")
    return CalcResult.of(extra, working, [ART82], notes)
