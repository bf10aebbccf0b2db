"""Labour calculators: 经济补偿, 违法解除赔偿金, 未签书面劳动合同二倍工资 (劳动合同法)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from content.calculators.base import (
    Basis,
    CalcResult,
    money,
    require_order,
    require_positive,
    yuan,
)
from content.calculators.dates import add_months, whole_months

LAW = "labour-contract-law"
ART47 = Basis(LAW, 47, "《中华人民共和国劳动合同法》第四十七条")
ART82 = Basis(LAW, 82, "《中华人民共和国劳动合同法》第八十二条")
ART87 = Basis(LAW, 87, "《中华人民共和国劳动合同法》第八十七条")
CAP_TIMES, CAP_YEARS = Decimal(3), Decimal(12)
DAYS_PER_MONTH = Decimal(30)  # a part month is paid by calendar days, 30 to the month


def service_years(start: dt.date, end: dt.date) -> tuple[Decimal, str]:
    """Years counted for 经济补偿: whole years; 6 months or more one year; less, half a year."""
    months, days = whole_months(start, end)
    years, rest = divmod(months, 12)
    counted = Decimal(years)
    if rest >= 6:
        counted += 1
        rule = "满六个月不满一年的部分按一年计算"
    elif rest or days:
        counted += Decimal("0.5")
        rule = "不满六个月的部分按半年（半个月工资）计算"
    else:
        rule = "恰为整年"
    return counted, f"工作年限 {years}年{rest}个月{days}天：{rule}，计 {counted:g} 年"


def economic_compensation(monthly_wage: Decimal, start: dt.date, end: dt.date,
                          average_wage: Decimal | None = None) -> CalcResult:
    """经济补偿 = counted years × monthly wage, capped at 3× the local average and 12 years."""
    require_positive("monthly_wage", monthly_wage, "月工资", "the monthly wage")
    require_order(start, end)
    if average_wage is not None:
        require_positive("average_wage", average_wage, "上年度职工月平均工资",
                         "the average monthly wage")
    years, working_years = service_years(start, end)
    working = [working_years]
    notes: list[str] = []
    base = monthly_wage
    if average_wage is None:
        notes.append("未提供本地区上年度职工月平均工资，未核对三倍封顶 / "
                     "no local average wage given: the 3x cap was not checked")
    elif monthly_wage > CAP_TIMES * average_wage:
        base = CAP_TIMES * average_wage
        working.append(f"月工资 {yuan(monthly_wage)} 高于上年度职工月平均工资 "
                       f"{yuan(average_wage)} 的三倍，按三倍 {yuan(base)} 计算")
        if years > CAP_YEARS:
            working.append(f"年限最高不超过十二年：{years:g} 年按 12 年计")
            years = CAP_YEARS
    else:
        working.append(f"月工资未超过上年度职工月平均工资的三倍 {yuan(CAP_TIMES * average_wage)}"
                       "，按实际月工资计算")
    result = years * base
    working.append(f"{years:g} × {yuan(base)} = {yuan(result)}")
    return CalcResult(money(result), "元", working, [ART47], notes)


def illegal_termination(monthly_wage: Decimal, start: dt.date, end: dt.date,
                        average_wage: Decimal | None = None) -> CalcResult:
    """违法解除或者终止的赔偿金: twice the 经济补偿."""
    compensation = economic_compensation(monthly_wage, start, end, average_wage)
    result = compensation.result * 2
    working = [*compensation.working,
               f"赔偿金为经济补偿标准的二倍：{yuan(compensation.result)} × 2 = {yuan(result)}"]
    return CalcResult(money(result), "元", working, [ART87, ART47], compensation.notes)


def double_wage(monthly_wage: Decimal, start: dt.date, signed: dt.date) -> CalcResult:
    """The extra wage owed without a written contract: from the second month, at most 11."""
    require_positive("monthly_wage", monthly_wage, "月工资", "the monthly wage")
    require_order(start, signed, "start", "signed")
    first = add_months(start, 1)  # 用工满一个月的次日
    last = min(signed, add_months(start, 12))  # 补订之日或满一年之日，均不计入
    working = [f"用工之日 {start}，自满一个月的次日 {first} 起计算"]
    if last <= first:
        working.append("用工未超过一个月即订立书面劳动合同，不产生二倍工资")
        return CalcResult(Decimal("0.00"), "元", working, [ART82])
    months, days = whole_months(first, last)
    working.append(f"计算至 {last} 的前一日：{months}个月{days}天"
                   + ("（最多十一个月）" if last != signed else ""))
    extra = monthly_wage * months + monthly_wage * days / DAYS_PER_MONTH
    working.append(f"每月另付一倍工资：{yuan(monthly_wage)} × {months} + {yuan(monthly_wage)}"
                   f" ÷ 30 × {days} = {yuan(extra)}")
    notes = ["结果为应另行支付的一倍工资差额（已发的正常工资不计在内）；"
             "不足一月的按月工资÷30×天数折算",
             "用工满一年仍未订立的，视为已订立无固定期限劳动合同（劳动合同法第十四条）"]
    return CalcResult(money(extra), "元", working, [ART82], notes)
