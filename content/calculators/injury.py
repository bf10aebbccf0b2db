"""Injury calculators: 一次性伤残补助金 (工伤保险条例) and personal injury compensation."""

from __future__ import annotations

from decimal import Decimal

from content.calculators.base import (
    Basis,
    CalcInputError,
    CalcResult,
    Steps,
    require_positive,
    yuan,
    yuan_en,
)

REGULATION = "work-injury-insurance-regulations"
DISABILITY_MONTHS = {1: 27, 2: 25, 3: 23, 4: 21, 5: 18, 6: 16, 7: 13, 8: 11, 9: 9, 10: 7}
INTERPRETATION = "personal-injury-interpretation"
INTERPRETATION_EN = "SPC Interpretation on Personal Injury Compensation, Article {number}"
DISABILITY_BASIS = Basis(INTERPRETATION, 12, "《最高人民法院关于审理人身损害赔偿案件适用法律若干"
                         "问题的解释》第十二条", INTERPRETATION_EN.format(number=12))
DEATH_BASIS = Basis(INTERPRETATION, 15, "《最高人民法院关于审理人身损害赔偿案件适用法律若干"
                    "问题的解释》第十五条", INTERPRETATION_EN.format(number=15))


def _grade(grade: int) -> int:
    if not 1 <= grade <= 10:
        raise CalcInputError("grade", f"伤残等级只能是一级至十级，不能是 {grade}",
                             f"the disability grade runs from 1 to 10, not {grade}")
    return grade


def work_injury_lump_sum(monthly_wage: Decimal, grade: int) -> CalcResult:
    """一次性伤残补助金 = months for the grade × 本人工资."""
    require_positive("monthly_wage", monthly_wage, "本人工资", "the monthly wage")
    months = DISABILITY_MONTHS[_grade(grade)]
    article = 35 if grade <= 4 else 36 if grade <= 6 else 37
    label = {35: "第三十五条", 36: "第三十六条", 37: "第三十七条"}[article]
    result = monthly_wage * months
    working, notes = Steps(), Steps()
    working.add(f"{grade}级伤残：{months}个月的本人工资",
                f"Disability grade {grade}: {months} months of the worker's own wage")
    working.add(f"{months} × {yuan(monthly_wage)} = {yuan(result)}",
                f"{months} × {yuan_en(monthly_wage)} = {yuan_en(result)}")
    notes.add("本人工资指工伤前12个月平均月缴费工资，高于统筹地区职工平均工资300%的按300%、"
              "低于60%的按60%计算（工伤保险条例第六十四条）",
              "The worker's own wage is the average monthly contribution wage of the 12 months "
              "before the injury; above 300% of the local average wage 300% is used, below "
              "60% 60% (Regulations on Work-Related Injury Insurance, Article 64)")
    basis = Basis(REGULATION, article, f"《工伤保险条例》{label}",
                  f"Regulations on Work-Related Injury Insurance, Article {article}")
    return CalcResult.of(result, working, [basis], notes)


def compensation_years(age: int) -> tuple[int, str, str]:
    """Years of income: 20; from 60 one year less per year of age; from 75, five years.
    Returns the years and the rule applied in Chinese and English."""
    if not 0 <= age <= 150:
        raise CalcInputError("age", f"年龄应在0至150周岁之间，不能是 {age}",
                             f"the age must be between 0 and 150, not {age}")
    if age < 60:
        return (20, f"{age}周岁，不满六十周岁：按二十年计算",
                f"Age {age}, under 60: twenty years")
    if age < 75:
        return (20 - (age - 60),
                f"{age}周岁：六十周岁以上年龄每增加一岁减少一年，按{80 - age}年计算",
                f"Age {age}: from 60, one year less for each year of age: {80 - age} years")
    return 5, f"{age}周岁，七十五周岁以上：按五年计算", f"Age {age}, 75 or over: five years"


def disability_compensation(income: Decimal, age: int, grade: int) -> CalcResult:
    """残疾赔偿金 = 城镇居民人均可支配收入 × years × (grade coefficient)."""
    require_positive("income", income, "城镇居民人均可支配收入", "the disposable income")
    coefficient = Decimal(11 - _grade(grade)) / 10
    years, rule, rule_en = compensation_years(age)
    result = income * years * coefficient
    percent = f"{coefficient * 100:.0f}%"
    working, notes = Steps(), Steps()
    working.add(rule, rule_en)
    working.add(f"{grade}级伤残系数 {percent}（一级100%，每降一级减10%）",
                f"Grade {grade} coefficient {percent} (grade 1 is 100%, 10% less for each "
                "grade below)")
    working.add(f"{yuan(income)} × {years} × {percent} = {yuan(result)}",
                f"{yuan_en(income)} × {years} × {percent} = {yuan_en(result)}")
    notes.add("伤残系数按本地审判实践，多处伤残可另加附加指数；按受诉法院所在地上一年度标准",
              "The coefficients follow local court practice, with extra points for several "
              "disabilities; the figure is last year's where the court sits")
    return CalcResult.of(result, working, [DISABILITY_BASIS], notes)


def death_compensation(income: Decimal, age: int) -> CalcResult:
    """死亡赔偿金 = 城镇居民人均可支配收入 × years by age."""
    require_positive("income", income, "城镇居民人均可支配收入", "the disposable income")
    years, rule, rule_en = compensation_years(age)
    result = income * years
    working = Steps()
    working.add(rule, rule_en)
    working.add(f"{yuan(income)} × {years} = {yuan(result)}",
                f"{yuan_en(income)} × {years} = {yuan_en(result)}")
    return CalcResult.of(result, working, [DEATH_BASIS])
