"""Work-item events in words: the ids and codes an event stores, as people read them.

Events store ids and codes only (no PHI text). The timelines and the item page show them
as names: a user id becomes the username, a note id the note's opening words, an
authorization id its number, a coverage id its payer, a code its label. The records an
event list names are loaded in one query per kind of record, whatever its length.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.contrib.auth.models import User
from django.utils.text import Truncator

from patients.models import Coverage, Order
from payers.models import (
    AppealLevel,
    Authorization,
    AuthStatus,
    Determination,
    Document,
    DocumentKind,
    DocumentType,
    ReviewOutcome,
    SubmissionChannel,
)
from worklists.models import (
    DismissalReason,
    EventKind,
    NotificationTemplate,
    Queue,
    Resolution,
    WorkItemNote,
)

NOTE_WORDS = 12  # of a note's text shown beside its event

# Keys as people say them, in the order they are shown; keys not listed come after.
KEY_LABELS = {
    "assignee": "to",
    "previous_assignee": "from",
    "note": "note",
    "authorization": "authorization",
    "coverage": "coverage",
    "document": "document",
    "kind": "kind",
    "type": "type",
    "size": "size",
    "outcome": "outcome",
    "status": "status",
    "determination": "determination",
    "approved_visits": "approved visits",
    "channel": "channel",
    "expedited": "expedited",
    "level": "level",
    "queue": "queue",
    "due_date": "due",
    "first_service_date": "first visit",
    "affected_appointments": "visits",
    "follow_up_on": "follow up on",
    "template": "email",
    "financial": "financial responsibility",
    "reason": "reason",
    "resolution": "resolution",
    "order": "order",
    "as_of": "scan of",
    "next": "by",
}
# Ids of records that only duplicate what the event already says.
HIDDEN_KEYS = {"notification", "peer_review", "appeal", "claim_denial"}

DECISION_OUTCOMES = {
    "approved": "approved",
    "partial": "partial / modified",
    "denied": "denied",
    "pended": "pended",
}


def _labels(choices: Iterable[tuple[str, Any]]) -> dict[str, str]:
    return {value: str(label).lower() for value, label in choices}


CODE_LABELS: dict[str, dict[str, str]] = {
    "queue": {value: str(label) for value, label in Queue.choices},
    "status": _labels(AuthStatus.choices),
    "determination": {value: str(label) for value, label in Determination.choices},
    "channel": _labels(SubmissionChannel.choices),
    "level": _labels(AppealLevel.choices),
    "kind": _labels(DocumentKind.choices),
    "type": {value: str(label) for value, label in DocumentType.choices},
    "template": _labels(NotificationTemplate.choices),
    "reason": _labels(DismissalReason.choices),
    "resolution": _labels(Resolution.choices),
}


def _day(value: object) -> str:
    try:
        day = dt.date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return f"{day:%b} {day.day}, {day.year}"


def _size(value: object) -> str:
    if not isinstance(value, int):
        return str(value)
    return f"{value / 1024:.0f} KB" if value < 1024 * 1024 else f"{value / 1024 / 1024:.1f} MB"


def _user_name(user: User) -> str:
    return user.username


def _auth_name(auth: Authorization) -> str:
    if auth.auth_number:
        return auth.auth_number
    sent = f" sent {auth.submitted_at:%b} {auth.submitted_at.day}" if auth.submitted_at else ""
    return f"request #{auth.pk}{sent}"


def _coverage_name(coverage: Coverage) -> str:
    plan = f" {coverage.plan}" if coverage.plan else ""
    return f"{coverage.payer.name}{plan} (rank {coverage.rank})"


def _document_name(document: Document) -> str:
    return document.original_name or document.get_kind_display().lower()


def _note_text(note: WorkItemNote) -> str:
    return "“" + Truncator(" ".join(note.text.split())).words(NOTE_WORDS) + "”"


# key -> (the records' query, how one is named)
_REFERENCES: dict[str, tuple[Callable[[set[int]], Iterable[Any]], Callable[[Any], str]]] = {
    "user": (lambda ids: User.objects.filter(pk__in=ids), _user_name),
    "note": (lambda ids: WorkItemNote.objects.filter(pk__in=ids), _note_text),
    "authorization": (lambda ids: Authorization.objects.filter(pk__in=ids), _auth_name),
    "coverage": (
        lambda ids: Coverage.objects.filter(pk__in=ids).select_related("payer"),
        _coverage_name,
    ),
    "document": (lambda ids: Document.objects.filter(pk__in=ids), _document_name),
    "order": (
        lambda ids: Order.objects.filter(pk__in=ids).only("id", "external_id"),
        lambda order: order.external_id,
    ),
}
_REFERENCE_OF_KEY = {
    "assignee": "user",
    "previous_assignee": "user",
    "note": "note",
    "authorization": "authorization",
    "coverage": "coverage",
    "document": "document",
    "order": "order",
}


class EventWords:
    """The events' data in words; build it once for a list of events (a few queries)."""

    def __init__(self, events: Sequence[Any], *, notes: Iterable[WorkItemNote] = ()) -> None:
        """`notes`: notes the page has loaded already (they cost no query here)."""
        self.names: dict[str, dict[int, str]] = {"note": {n.pk: _note_text(n) for n in notes}}
        wanted: dict[str, set[int]] = {}
        for event in events:
            for key, value in (event.data or {}).items():
                ref = _REFERENCE_OF_KEY.get(key)
                known = self.names.get(ref or "", {})
                if ref is not None and isinstance(value, int) and value not in known:
                    wanted.setdefault(ref, set()).add(value)
        for ref, ids in wanted.items():
            load, name = _REFERENCES[ref]
            found = {record.pk: name(record) for record in load(ids)}
            self.names.setdefault(ref, {}).update(found)
        # The notes the events quote, for the access audit.
        self.notes = sorted(
            {v for e in events for k, v in (e.data or {}).items() if k == "note"}
            & set(self.names["note"])
        )

    def value(self, kind: str, key: str, value: object) -> str:
        ref = _REFERENCE_OF_KEY.get(key)
        if ref is not None and isinstance(value, int):
            return self.names.get(ref, {}).get(value) or f"#{value} (removed)"
        if key == "outcome":
            table = (
                DECISION_OUTCOMES if kind == EventKind.DECIDED else _labels(ReviewOutcome.choices)
            )
            return table.get(str(value), str(value))
        if key in CODE_LABELS:
            return CODE_LABELS[key].get(str(value), str(value))
        if key in ("as_of", "due_date", "first_service_date", "follow_up_on"):
            return _day(value)
        if key == "size":
            return _size(value)
        if key == "next":
            return "claim next" if value else "choice"
        if isinstance(value, bool):
            return "yes" if value else "no"
        return str(value)

    def pairs(self, event: Any) -> list[tuple[str, str]]:
        """(label, words) for each value the event holds, in a fixed order."""
        order = list(KEY_LABELS)
        data = event.data or {}
        keys = sorted(
            (k for k, v in data.items() if v not in ("", None) and k not in HIDDEN_KEYS),
            key=lambda k: (order.index(k) if k in order else len(order), k),
        )
        return [
            (KEY_LABELS.get(k, k.replace("_", " ")), self.value(event.kind, k, data[k]))
            for k in keys
        ]
