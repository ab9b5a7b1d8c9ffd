"""Reading an X12 interchange with pyx12: its segments, grouped by transaction, and the
envelope checks (ISA/IEA, GS/GE, ST/SE counts and control numbers) pyx12's reader makes.

Nothing here splits text itself: pyx12 finds the delimiters in the ISA segment and hands
out segments whose elements are read by reference (`HCR01`, `SVC01-2`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import pyx12.errors
import pyx12.segment
import pyx12.x12file

# The transactions authq applies, and the version (GS08) it reads them in.
SUPPORTED_SETS = ("271", "278", "835")
VERSION = "005010"

# pyx12's error kinds, by the 999/TA1 level they belong to.
LEVELS = {"isa": "interchange", "gs": "group", "st": "transaction", "seg": "segment"}


@dataclass(frozen=True)
class Segment:
    """One segment and its place in the interchange (1 = the ISA)."""

    position: int
    raw: pyx12.segment.Segment

    @property
    def id(self) -> str:
        return self.raw.get_seg_id() or ""

    def get(self, ref: str) -> str:
        """An element (`HCR01`) or a component (`SVC01-2`), stripped; "" when absent."""
        return (self.raw.get_value(ref) or "").strip()

    def text(self) -> str:
        return self.raw.format()


@dataclass(frozen=True)
class Problem:
    """An envelope or syntax error, with its 999/TA1 level and pyx12's code."""

    level: str
    code: str
    message: str
    position: int | None = None


@dataclass
class Transaction:
    set_id: str
    control_number: str
    version: str
    position: int
    # ISA11, which pyx12 leaves inside repeated element values (EB03 of a 271).
    repetition: str = ""
    segments: list[Segment] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def body(self) -> list[Segment]:
        """The segments between ST and SE."""
        return [s for s in self.segments if s.id not in ("ST", "SE")]

    def text(self) -> str:
        return "~\n".join(s.text() for s in self.segments) + "~"


@dataclass
class Interchange:
    sender: str = ""
    receiver: str = ""
    control_number: str = ""
    usage: str = ""
    transactions: list[Transaction] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def envelope_ok(self) -> bool:
        """Whether the envelope checks passed (a transaction's own syntax errors reject
        that transaction alone)."""
        return not any(p.level != "segment" for p in self.problems)


def read(text: str) -> Interchange:
    """The interchange in `text`, with every problem pyx12's reader found; an unreadable
    ISA is a problem of the interchange, never an exception."""
    found = Interchange()
    try:
        reader = pyx12.x12file.X12Reader(io.StringIO(text))
    except pyx12.errors.X12Error as exc:
        found.problems.append(Problem("interchange", "ISA", f"The ISA segment: {exc}"))
        return found
    version = ""
    interchanges = 0
    current: Transaction | None = None
    position = 0
    try:
        for raw in reader:
            position += 1
            seg = Segment(position, raw)
            for kind, code, message, _value, _line in reader.pop_errors():
                problem = Problem(LEVELS.get(kind, "segment"), code, message, position)
                if problem.level == "segment" and current is not None:
                    current.problems.append(problem)
                found.problems.append(problem)
            if seg.id == "ISA":
                interchanges += 1
                found.sender = seg.get("ISA06")
                found.receiver = seg.get("ISA08")
                found.control_number = seg.get("ISA13")
                found.usage = seg.get("ISA15")
            elif seg.id == "GS":
                version = seg.get("GS08")
            elif seg.id == "ST":
                current = Transaction(
                    seg.get("ST01"),
                    seg.get("ST02"),
                    version,
                    position,
                    repetition=reader.repetition_term or "",
                )
                found.transactions.append(current)
            if current is not None:
                current.segments.append(seg)
            if seg.id == "SE":
                current = None
    except pyx12.errors.X12Error as exc:
        found.problems.append(Problem("interchange", "ISA", str(exc), position + 1))
        return found
    reader.cleanup()
    for kind, code, message, _value, _line in reader.pop_errors():
        found.problems.append(Problem(LEVELS.get(kind, "segment"), code, message))
    if interchanges != 1:
        found.problems.append(
            Problem(
                "interchange", "ISA", f"A file holds one interchange; this one has {interchanges}."
            )
        )
    return found


def acknowledgment(found: Interchange) -> dict[str, object]:
    """A 999-style report: the interchange accepted or rejected (AK9), each transaction's
    acknowledgment code (IK5: A accepted, R rejected) and every error with its level,
    code and segment position."""
    rejected_sets = {
        t.control_number for t in found.transactions if t.problems or not _supported(t)
    }
    return {
        "interchange": found.control_number,
        "sender": found.sender,
        "accepted": found.envelope_ok,
        "ak9": "A"
        if found.envelope_ok and not rejected_sets
        else ("P" if found.envelope_ok else "R"),
        "transactions": [
            {
                "set": t.set_id,
                "control_number": t.control_number,
                "ik5": "R" if not found.envelope_ok or t.control_number in rejected_sets else "A",
            }
            for t in found.transactions
        ],
        "errors": [
            {"level": p.level, "code": p.code, "message": p.message, "position": p.position}
            for p in found.problems
        ],
    }


def _supported(t: Transaction) -> bool:
    return t.set_id in SUPPORTED_SETS and t.version.startswith(VERSION)
