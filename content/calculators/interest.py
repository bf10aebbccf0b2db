"""Late-payment interest at the LPR between two dates, the rate in force on each day.

Simple interest on actual days with a 365-day year (the daily rate is the
annual LPR ÷ 365); the first day counts, the last day does not.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from content.calculators.base import (
    Basis,
    CalcInputError,
    CalcResult,
    Steps,
    require_order,
    require_positive,
    yuan,
    yuan_en,
)

DAYS_PER_YEAR = Decimal(365)
BASIS = Basis("civil-code", 676, "《中华人民共和国民法典》第六百七十六条",
              "Civil Code of the PRC, Article 676")


def lpr_interest(principal: Decimal, start: dt.date, end: dt.date,
                 rates: list[tuple[dt.date, Decimal]], times: Decimal = Decimal(1)
                 ) -> CalcResult:
    """Interest on principal from start (counted) to end (not counted) at LPR × times."""
    require_positive("principal", principal, "本金", "the principal")
    require_order(start, end)
    if times <= 0 or times > 4:
        raise CalcInputError("times", "倍数应大于0且不超过4",
                             "the multiple must be over 0 and at most 4")
    ordered = sorted(rates)
    if not ordered or ordered[0][0] > start:
        raise CalcInputError("start", f"没有 {start} 当日适用的贷款市场报价利率",
                             f"no LPR in force on {start}")
    total = Decimal(0)
    working = Steps()
    for index, (from_day, rate) in enumerate(ordered):
        until = ordered[index + 1][0] if index + 1 < len(ordered) else dt.date.max
        low, high = max(start, from_day), min(end, until)
        if low >= high:
            continue
        days = (high - low).days
        annual = rate * times
        part = principal * annual / 100 * days / DAYS_PER_YEAR
        total += part
        last = high - dt.timedelta(days=1)
        multiple = f" × {times}" if times != 1 else ""
        percent = f"{annual.normalize():f}%"
        working.add(f"{low} 至 {last}，{days}天，年利率 {rate}%{multiple}"
                    f"：{yuan(principal)} × {percent} × {days} ÷ 365 = {yuan(part)}",
                    f"{low} to {last}, {days} days, annual rate {rate}%{multiple}: "
                    f"{yuan_en(principal)} × {percent} × {days} ÷ 365 = {yuan_en(part)}")
    working.add(f"合计 {yuan(total)}", f"Total {yuan_en(total)}")
    notes = Steps()
    notes.add("按实际天数单利计算，一年按365天；起算日计入，截止日不计入",
              "Simple interest on the actual days, 365 days to the year; the first day "
              "counts, the last does not")
    notes.add("利率为一年期贷款市场报价利率（LPR），按每日当时适用的报价",
              "The rate is the one-year Loan Prime Rate (LPR) in force on each day")
    return CalcResult.of(total, working, [BASIS], notes)
