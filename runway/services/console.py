"""The advisor console: every client of a firm ranked by runway, most urgent first. Pattern 1 only."""

from __future__ import annotations

from dataclasses import dataclass

from domains.core.freshness import Freshness
from domains.portfolio.services.overview import PortfolioService
from infra.interfaces.patterns import local_read
from infra.interfaces.records import BusinessRecord
from runway.figures import BURN_WINDOW_DAYS, RunwayFigures, compute_runway


@dataclass(frozen=True, slots=True)
class ConsoleRow:
    rank: int
    business: BusinessRecord
    runway: RunwayFigures
    freshness: Freshness


class AdvisorConsoleService:
    """Ranks a firm's clients by runway from one set-based read of the mirror (Pattern 1).

    Contract: one row per business of the firm (all businesses when ``firm_id`` is None), ordered by
    runway days ascending with businesses that are not burning cash last (ties by name), each with
    its own freshness so stale clients are visible rather than hidden.
    """

    def __init__(self, portfolio: PortfolioService) -> None:
        self._portfolio = portfolio

    @local_read
    def console(self, firm_id: int | None = None) -> list[ConsoleRow]:
        rows = []
        for summary, freshness in self._portfolio.business_summaries(firm_id, BURN_WINDOW_DAYS):
            figures = compute_runway(cash=summary.cash, open_ar=summary.open_ar, open_ap=summary.open_ap,
                                     paid_in_window=summary.paid_last_window,
                                     received_in_window=summary.received_last_window)
            rows.append((summary.business, figures, freshness))
        rows.sort(key=_most_urgent_first)
        return [ConsoleRow(i + 1, b, f, fr) for i, (b, f, fr) in enumerate(rows)]


def _most_urgent_first(row: tuple[BusinessRecord, RunwayFigures, Freshness]) -> tuple[object, ...]:
    business, figures, _ = row
    return (figures.sort_key(), business.name, business.id)
