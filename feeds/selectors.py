"""What the Interfaces page shows, as data (no writes)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count
from django.db.models.functions import TruncHour
from django.utils import timezone

from feeds.models import Hl7Message, MessageStatus

# Messages listed per status on the page (the API pages through all of them).
SHOWN = 100


@dataclass
class HourRow:
    hour: dt.datetime
    counts: dict[str, int]

    @property
    def cells(self) -> list[int]:
        """The counts in the order of MessageStatus."""
        return [self.counts[s] for s in MessageStatus.values]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class Overview:
    status: str
    messages: list[Hl7Message]
    totals: dict[str, int]
    hours: list[HourRow]

    @property
    def tabs(self) -> list[tuple[str, str, int]]:
        """(status, label, how many) for each status."""
        return [(v, label, self.totals[v]) for v, label in MessageStatus.choices]


def overview(status: str, *, now: dt.datetime | None = None) -> Overview:
    """The messages of one status (newest first), every status's total, and the last
    24 hours' counts per hour and status (three queries)."""
    now = now or timezone.now()
    messages = list(
        Hl7Message.objects.filter(status=status)
        .newest_first()
        .only(
            "id", "control_id", "message_type", "received_at", "status", "ack_code",
            "error_field", "error", "replays",
        )[:SHOWN]
    )  # fmt: skip
    totals = dict.fromkeys(MessageStatus.values, 0)
    totals.update(
        Hl7Message.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    start = (now - dt.timedelta(hours=23)).replace(minute=0, second=0, microsecond=0)
    hours = {
        start + dt.timedelta(hours=i): dict.fromkeys(MessageStatus.values, 0) for i in range(24)
    }
    per_hour = (
        Hl7Message.objects.filter(received_at__gte=start)
        .annotate(hour=TruncHour("received_at", tzinfo=dt.UTC))
        .values_list("hour", "status")
        .annotate(n=Count("id"))
    )
    for hour, each, n in per_hour:
        bucket = hours.get(hour.astimezone(start.tzinfo))
        if bucket is not None:
            bucket[each] = n
    rows = [HourRow(timezone.localtime(h), c) for h, c in sorted(hours.items(), reverse=True)]
    return Overview(status, messages, totals, rows)
