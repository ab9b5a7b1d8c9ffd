"""Finding authq's records from what a payer's transaction names: the coverage by member
id (and payer), the payer by the id the transaction gives."""

from __future__ import annotations

import datetime as dt

from authq.lib.clock import today
from patients.models import Coverage
from payers.models import Payer


def payer_named(code: str) -> Payer | None:
    """The payer whose code is the id the transaction gives (N1*PR / NM1*PR)."""
    return Payer.objects.filter(code=code).first() if code else None


def coverages(member_id: str, payer: Payer | None) -> list[Coverage]:
    """The coverages with this member id (of this payer when it is known)."""
    if not member_id:
        return []
    found = Coverage.objects.filter(member_id=member_id).select_related("payer")
    if payer is not None:
        found = found.filter(payer=payer)
    return list(found.order_by("rank", "-start", "id"))


def coverage_on(member_id: str, payer: Payer | None, day: dt.date | None = None) -> Coverage | None:
    """The one coverage the member id names, preferring one active on `day` (today)."""
    found = coverages(member_id, payer)
    if len(found) <= 1:
        return found[0] if found else None
    day = day or today()
    active = [c for c in found if c.start <= day and (c.end is None or c.end >= day)]
    return (active or found)[0]
