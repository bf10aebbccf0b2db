"""Court fees by the 诉讼费用交纳办法: case acceptance fees and the execution fee."""

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

LAW = "litigation-fees-measures"
ACCEPTANCE = Basis(LAW, 13, "《诉讼费用交纳办法》第十三条",
                   "Measures on the Payment of Litigation Costs, Article 13")
APPLICATION = Basis(LAW, 14, "《诉讼费用交纳办法》第十四条",
                    "Measures on the Payment of Litigation Costs, Article 14")
SIMPLE = Basis(LAW, 16, "《诉讼费用交纳办法》第十六条",
               "Measures on the Payment of Litigation Costs, Article 16")

D = Decimal
# (upper bound of the band, rate) above the first band, which is a flat fee per case.
PROPERTY_BANDS = ((D(100_000), D("0.025")), (D(200_000), D("0.02")), (D(500_000), D("0.015")),
                  (D(1_000_000), D("0.01")), (D(2_000_000), D("0.009")),
                  (D(5_000_000), D("0.008")), (D(10_000_000), D("0.007")),
                  (D(20_000_000), D("0.006")), (None, D("0.005")))
EXECUTION_BANDS = ((D(500_000), D("0.015")), (D(5_000_000), D("0.01")),
                   (D(10_000_000), D("0.005")), (None, D("0.001")))
FIRST_BAND, FIRST_BAND_FEE = D(10_000), D(50)
DIVORCE_FREE_PROPERTY, DIVORCE_RATE = D(200_000), D("0.005")
LABOUR_FEE = D(10)
ZERO, DIVORCE_MAX = D(0), D(300)
CASE_TYPES = ("property", "divorce", "labour")
PROCEDURES = ("ordinary", "simple")


def staged_fee(amount: Decimal, bands: tuple[tuple[Decimal | None, Decimal], ...]
               ) -> tuple[Decimal, Steps]:
    """The flat fee up to 10,000 yuan plus each band's rate on the part inside it."""
    fee = FIRST_BAND_FEE
    working = Steps()
    working.add(f"不超过{yuan(FIRST_BAND)}的部分：每件{yuan(FIRST_BAND_FEE)}",
                f"Up to {yuan_en(FIRST_BAND)}: {yuan_en(FIRST_BAND_FEE)} per case")
    lower = FIRST_BAND
    for upper, rate in bands:
        if amount <= lower:
            break
        part = amount - lower if upper is None else min(amount, upper) - lower
        share = part * rate
        fee += share
        band = f"超过{yuan(lower)}" + ("" if upper is None else f"至{yuan(upper)}")
        band_en = f"above {yuan_en(lower)}" + ("" if upper is None else f" up to {yuan_en(upper)}")
        percent = f"{(rate * 100).normalize():f}%"
        working.add(f"{band}的部分 {yuan(part)} × {percent} = {yuan(share)}",
                    f"The part {band_en}: {yuan_en(part)} × {percent} = {yuan_en(share)}")
        if upper is None:
            break
        lower = upper
    return fee, working


def court_fee(amount: Decimal = ZERO, case_type: str = "property",
              procedure: str = "ordinary", divorce_base: Decimal = DIVORCE_MAX) -> CalcResult:
    """案件受理费: property cases by staged rates, divorce and labour cases; 简易程序 halved."""
    if case_type not in CASE_TYPES:
        raise CalcInputError("case_type", f"案件类型只能是 {'、'.join(CASE_TYPES)}",
                             f"case type must be one of {', '.join(CASE_TYPES)}")
    if procedure not in PROCEDURES:
        raise CalcInputError("procedure", "审理程序只能是 ordinary（普通）或 simple（简易）",
                             "procedure must be ordinary or simple")
    notes = Steps()
    if case_type == "property":
        require_positive("amount", amount, "诉讼请求金额", "the amount claimed")
        fee, working = staged_fee(amount, PROPERTY_BANDS)
        working.add(f"分段累计：{yuan(fee)}", f"Bands added up: {yuan_en(fee)}")
    elif case_type == "divorce":
        require_positive("amount", amount, "分割财产总额", "the property to divide",
                         allow_zero=True)
        if not D(50) <= divorce_base <= D(300):
            raise CalcInputError("divorce_base", "离婚案件每件交纳50元至300元",
                                 "a divorce case pays 50 to 300 yuan")
        fee = divorce_base
        working = Steps()
        working.add(f"离婚案件每件 {yuan(divorce_base)}（法定幅度50元至300元，由法院确定）",
                    f"A divorce case pays {yuan_en(divorce_base)} (the law allows 50 to 300 "
                    "yuan; the court decides)")
        if amount > DIVORCE_FREE_PROPERTY:
            extra = (amount - DIVORCE_FREE_PROPERTY) * DIVORCE_RATE
            fee += extra
            above = amount - DIVORCE_FREE_PROPERTY
            working.add(f"财产总额超过{yuan(DIVORCE_FREE_PROPERTY)}的部分 "
                        f"{yuan(above)} × 0.5% = {yuan(extra)}",
                        f"Property above {yuan_en(DIVORCE_FREE_PROPERTY)}: "
                        f"{yuan_en(above)} × 0.5% = {yuan_en(extra)}")
        else:
            working.add(f"财产总额不超过{yuan(DIVORCE_FREE_PROPERTY)}，不另行交纳",
                        f"Property not above {yuan_en(DIVORCE_FREE_PROPERTY)}: nothing more "
                        "to pay")
        notes.add("离婚案件每件50元至300元，本结果按输入的每件金额计算",
                  "A divorce case pays 50 to 300 yuan; this result uses the amount entered")
    else:
        fee = LABOUR_FEE
        working = Steps()
        working.add(f"劳动争议案件每件 {yuan(LABOUR_FEE)}",
                    f"A labour dispute case pays {yuan_en(LABOUR_FEE)}")
    basis = [ACCEPTANCE]
    if procedure == "simple":
        fee = fee / 2
        working.add(f"适用简易程序，减半交纳：{yuan(fee)}",
                    f"Simple procedure, the fee is halved: {yuan_en(fee)}")
        basis.append(SIMPLE)
    return CalcResult.of(fee, working, basis, notes)


def execution_fee(amount: Decimal) -> CalcResult:
    """申请执行费 by the staged rates on the amount to be executed."""
    require_positive("amount", amount, "执行金额", "the amount to execute")
    fee, working = staged_fee(amount, EXECUTION_BANDS)
    working.add(f"分段累计：{yuan(fee)}", f"Bands added up: {yuan_en(fee)}")
    notes = Steps()
    notes.add("申请执行费不由申请人预交，执行后由被执行人负担",
              "The applicant does not pay this fee in advance; the party against whom the "
              "judgment is enforced pays it afterwards")
    return CalcResult.of(fee, working, [APPLICATION], notes)
