"""The payer rules as the scan matches them (spec: the most specific rule in effect)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.db import connection

from payers.models import PayerRule
from worklists import sql


class RuleBook:
    """Every payer rule, indexed by payer, with the spec's matching."""

    def __init__(self, rules: Iterable[PayerRule]) -> None:
        self.by_payer: dict[int, list[PayerRule]] = defaultdict(list)
        for rule in rules:
            self.by_payer[rule.payer_id].append(rule)
        # match()'s answers: a book never changes, and a scan asks the same few
        # (payer, plan, category, code, day) questions for thousands of visits.
        self._matches: dict[tuple[int, str, str, str, dt.date], PayerRule | None] = {}

    # (database name, rule book version, the book): rules change rarely, and building
    # 400 PayerRule objects costs more than the auth check's other work.
    _cached: tuple[tuple[str, int], RuleBook] | None = None

    @classmethod
    def load(cls) -> RuleBook:
        """Every rule as the database holds it now; the same book again while the rules'
        version (payers.models.RuleBookVersion, set by a trigger on any write) is the same."""
        with connection.cursor() as cursor:
            cursor.execute(sql.RULES_VERSION)
            row = cursor.fetchone()
        key = (connection.settings_dict["NAME"], row[0]) if row else None
        cached = cls._cached
        if key is not None and cached is not None and cached[0] == key:
            return cached[1]
        book = cls(PayerRule.objects.all())
        cls._cached = (key, book) if key is not None else None
        return book

    def match(
        self, payer_id: int, plan: str, category: str, code: str, day: dt.date
    ) -> PayerRule | None:
        """The most specific rule in effect on `day`: codes 4, category 2, plan 1.

        Ties go to the latest effective_from, then the lowest id. None: unknown.
        """
        question = (payer_id, plan, category, code, day)
        try:
            return self._matches[question]
        except KeyError:
            pass
        if len(self._matches) >= self.MAX_MATCHES:  # a long-lived worker's days move on
            self._matches.clear()
        best = self._matches[question] = self._match(payer_id, plan, category, code, day)
        return best

    MAX_MATCHES = 100_000

    def _match(
        self, payer_id: int, plan: str, category: str, code: str, day: dt.date
    ) -> PayerRule | None:
        best: PayerRule | None = None
        best_key: tuple[int, int, int] | None = None
        for rule in self.by_payer.get(payer_id, ()):
            if rule.effective_from > day or (
                rule.effective_to is not None and rule.effective_to < day
            ):
                continue
            if rule.plan and rule.plan != plan:
                continue
            if rule.service_category and rule.service_category != category:
                continue
            if rule.codes and code not in rule.codes:
                continue
            score = (
                (4 if rule.codes else 0)
                + (2 if rule.service_category else 0)
                + (1 if rule.plan else 0)
            )
            key = (score, rule.effective_from.toordinal(), -rule.id)
            if best_key is None or key > best_key:
                best, best_key = rule, key
        return best
