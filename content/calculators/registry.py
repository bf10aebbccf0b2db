"""Every calculator by name, with its inputs explained: what the CLI and the screens list."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from content.calculators.base import Calculator, InputSpec
from content.calculators.court_fee import CASE_TYPES, PROCEDURES, court_fee, execution_fee
from content.calculators.figures import FigureKind
from content.calculators.injury import (
    death_compensation,
    disability_compensation,
    work_injury_lump_sum,
)
from content.calculators.interest import lpr_interest
from content.calculators.labour import double_wage, economic_compensation, illegal_termination

D, DATE = Decimal, dt.date
WAGE = InputSpec("monthly_wage", D, "月工资（解除或终止前十二个月的平均工资，元）",
                 "monthly wage: the average of the last 12 months, yuan")
START = InputSpec("start", DATE, "入职（用工）日期", "first day of employment")
END = InputSpec("end", DATE, "劳动合同解除或终止日期", "day the contract ended")
AVERAGE = InputSpec("average_wage", D, "本地区上年度职工月平均工资（元，不填则取内容中的数字）",
                    "local average monthly wage, yuan (default: the content's figure)", None)
INCOME = InputSpec("income", D, "城镇居民人均可支配收入（元/年，不填则取内容中的数字）",
                   "urban disposable income per head, yuan a year (default: the content's)")
AGE = InputSpec("age", int, "定残或死亡时的年龄（周岁）", "age at the assessment or death, years")
GRADE = InputSpec("grade", int, "伤残等级（1至10级）", "disability grade, 1 to 10")

CALCULATORS: dict[str, Calculator] = {c.name: c for c in (
    Calculator("court-fee", "诉讼费（案件受理费）", "Court fee (case acceptance fee)", (
        InputSpec("amount", D, "诉讼请求金额或离婚分割财产总额（元）",
                  "amount claimed, or the property to divide in a divorce, yuan", D(0)),
        InputSpec("case_type", str, "案件类型：property 财产、divorce 离婚、labour 劳动争议",
                  "case type: property, divorce or labour", "property", CASE_TYPES),
        InputSpec("procedure", str, "审理程序：ordinary 普通、simple 简易（减半）",
                  "procedure: ordinary or simple (halved)", "ordinary", PROCEDURES),
        InputSpec("divorce_base", D, "离婚案件每件金额（50至300元）",
                  "divorce case fee per case, 50 to 300 yuan", D(300)),
    ), court_fee),
    Calculator("execution-fee", "申请执行费", "Execution application fee", (
        InputSpec("amount", D, "执行金额（元）", "amount to execute, yuan"),), execution_fee),
    Calculator("economic-compensation", "经济补偿", "Severance (economic compensation)",
               (WAGE, START, END, AVERAGE), economic_compensation,
               (FigureKind.AVERAGE_MONTHLY_WAGE,)),
    Calculator("illegal-termination", "违法解除赔偿金", "Damages for unlawful dismissal",
               (WAGE, START, END, AVERAGE), illegal_termination,
               (FigureKind.AVERAGE_MONTHLY_WAGE,)),
    Calculator("double-wage", "未签书面劳动合同二倍工资",
               "Double wage without a written contract", (
        WAGE, START,
        InputSpec("signed", DATE, "补订书面劳动合同日期（或用工结束日期）",
                  "day the written contract was signed (or employment ended)"),
    ), double_wage),
    Calculator("work-injury", "工伤一次性伤残补助金", "Work injury lump-sum disability benefit", (
        InputSpec("monthly_wage", D, "本人工资（工伤前12个月平均月缴费工资，元）",
                  "own wage: average monthly insured wage before the injury, yuan"),
        GRADE), work_injury_lump_sum),
    Calculator("disability-compensation", "残疾赔偿金", "Disability compensation",
               (INCOME, AGE, GRADE), disability_compensation,
               (FigureKind.URBAN_DISPOSABLE_INCOME,)),
    Calculator("death-compensation", "死亡赔偿金", "Death compensation", (INCOME, AGE),
               death_compensation, (FigureKind.URBAN_DISPOSABLE_INCOME,)),
    Calculator("lpr-interest", "逾期利息（按LPR）", "Late-payment interest at the LPR", (
        InputSpec("principal", D, "本金（元）", "principal, yuan"),
        InputSpec("start", DATE, "起算日（计入）", "first day of interest (counted)"),
        InputSpec("end", DATE, "截止日（不计入）", "last day (not counted)"),
        InputSpec("times", D, "LPR的倍数（默认1倍）", "multiple of the LPR (default 1)", D(1)),
    ), lpr_interest, (FigureKind.LPR_ONE_YEAR,)),
)}
