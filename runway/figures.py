"""The runway formula, in one place, used by the single-client view and the advisor console.

    net position      = cash + open AR - open AP
    net burn per day  = (bill payments made - customer payments received) over the trailing window
                        / window days  (90 days by default)
    runway days       = net position / net burn per day
                        (0 when the net position is zero or negative while burning;
                         none - "not burning" - when net burn per day <= 0)
    runway weeks      = runway days / 7
    status            = critical < 7 days <= warning < 30 <= healthy < 90 <= excellent
                        (not burning is excellent)

Open AR counts in full and open AP is owed in full: the figure answers "how long until the cash,
plus what customers owe, minus what is owed to vendors, is spent at the recent rate".
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from domains.core.money import per_day

BURN_WINDOW_DAYS = 90


class RunwayStatus(enum.StrEnum):
    CRITICAL = "critical"
    WARNING = "warning"
    HEALTHY = "healthy"
    EXCELLENT = "excellent"


# (upper bound in days, exclusive; status), checked in order.
STATUS_BANDS: tuple[tuple[int, RunwayStatus], ...] = (
    (7, RunwayStatus.CRITICAL),
    (30, RunwayStatus.WARNING),
    (90, RunwayStatus.HEALTHY),
)


@dataclass(frozen=True, slots=True)
class RunwayFigures:
    cash: Decimal
    open_ar: Decimal
    open_ap: Decimal
    paid_in_window: Decimal
    received_in_window: Decimal
    window_days: int
    net_position: Decimal
    net_burn_per_day: Decimal
    runway_days: Decimal | None
    status: RunwayStatus

    @property
    def runway_weeks(self) -> Decimal | None:
        if self.runway_days is None:
            return None
        return (self.runway_days / 7).quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN)

    @property
    def burning(self) -> bool:
        return self.runway_days is not None

    def sort_key(self) -> tuple[int, Decimal]:
        """Most urgent first; businesses that are not burning cash come last."""
        return (1, Decimal(0)) if self.runway_days is None else (0, self.runway_days)


def status_for(runway_days: Decimal | None) -> RunwayStatus:
    if runway_days is None:
        return RunwayStatus.EXCELLENT
    for upper, status in STATUS_BANDS:
        if runway_days < upper:
            return status
    return RunwayStatus.EXCELLENT


def compute_runway(*, cash: Decimal, open_ar: Decimal, open_ap: Decimal, paid_in_window: Decimal,
                   received_in_window: Decimal, window_days: int = BURN_WINDOW_DAYS) -> RunwayFigures:
    """Apply the formula in this module's docstring."""
    net_position = cash + open_ar - open_ap
    net_burn = per_day(paid_in_window - received_in_window, window_days)
    if net_burn <= 0:
        days: Decimal | None = None
    elif net_position <= 0:
        days = Decimal("0.0")
    else:
        days = (net_position / net_burn).quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN)
    return RunwayFigures(cash, open_ar, open_ap, paid_in_window, received_in_window, window_days,
                         net_position, net_burn, days, status_for(days))
