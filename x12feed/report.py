"""What a transaction did, collected while it is applied and written once at its end."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from x12feed.models import Interchange, Outcome, ReportLine
from x12feed.parse import Segment, Transaction

MAX_MESSAGE = 500


@dataclass
class Report:
    interchange: Interchange
    lines: list[ReportLine] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)

    def add(
        self,
        tx: Transaction,
        subject: str,
        outcome: str,
        message: str,
        *,
        at: Segment | None = None,
        raw: list[Segment] | None = None,
    ) -> None:
        self.counts[f"{subject}_{outcome}"] += 1
        self.lines.append(
            ReportLine(
                interchange=self.interchange,
                seq=len(self.lines) + 1,
                set_id=tx.set_id[:3],
                transaction=tx.control_number[:9],
                position=at.position if at else tx.position,
                subject=subject,
                outcome=outcome,
                message=message[:MAX_MESSAGE],
                raw="~\n".join(s.text() for s in raw) + "~" if raw else "",
            )
        )

    def rejected(self, tx: Transaction, message: str, *, at: Segment | None = None) -> None:
        self.add(tx, "transaction", Outcome.REJECTED, message, at=at, raw=tx.segments)


def error_text(exc: ValidationError) -> str:
    """A refusal with the fields it names: "start_date: Required ...; end_date: ..."."""
    if hasattr(exc, "error_dict"):
        return "; ".join(
            f"{name}: {' '.join(messages)}" for name, messages in exc.message_dict.items()
        )
    return "; ".join(exc.messages)
