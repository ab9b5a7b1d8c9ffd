"""The refusals a service raises; the pages, the API (authq.lib.records.domain_errors) and
the admin each turn them into a message naming the field at fault."""

from __future__ import annotations

from collections.abc import Iterable


class TransitionNotAllowed(Exception):
    """A record cannot move from its status to the one asked for.

    `allowed` are the statuses it may move to from `current`; `record` starts the message
    ("An authorization").
    """

    def __init__(
        self, current: str, wanted: str, allowed: Iterable[str], *, record: str = "A record"
    ) -> None:
        self.current = current
        self.wanted = wanted
        allowed_text = ", ".join(sorted(allowed)) or "none"
        super().__init__(
            f"{record} cannot go from {current} to {wanted} (allowed from {current}: {allowed_text})."
        )


class ActionRefused(Exception):
    """A person's action cannot be done in the record's present state; the message says why.

    `field` names the input at fault, when one is.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        self.field = field
        super().__init__(message)


class DuplicateKey(Exception):
    """Another record already has the natural key a change would give this one."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)
