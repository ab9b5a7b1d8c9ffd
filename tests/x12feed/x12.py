"""Writing X12 5010 interchanges for the tests: the envelope (ISA/GS/ST ... SE/GE/IEA)
around the segments a test gives, with its counts and control numbers right unless a
test breaks them on purpose."""

from __future__ import annotations

from collections.abc import Sequence

# The guides' implementation references (GS08 / ST03) of each transaction.
GUIDES = {"271": ("HB", "005010X279A1"), "278": ("HI", "005010X217"), "835": ("HP", "005010X221A1")}


def isa(sender: str, receiver: str, control: str, *, date: str = "261203") -> str:
    head = (
        f"ISA*00*{'':10}*00*{'':10}*ZZ*{sender:<15}*ZZ*{receiver:<15}*{date}*1200*^*00501*"
        f"{control:0>9}*0*T*:~"
    )
    assert len(head) == 106, len(head)
    return head


def interchange(
    set_id: str,
    *bodies: Sequence[str],
    control: str = "1001",
    sender: str = "BCX",
    receiver: str = "AUTHQ",
    group: str = "1",
) -> str:
    """One interchange of one group holding one transaction per body (its segments
    without ST/SE, each without the terminator)."""
    functional, guide = GUIDES[set_id]
    out = [
        isa(sender, receiver, control),
        f"GS*{functional}*{sender}*{receiver}*20261203*1200*{group}*X*{guide}~",
    ]
    for n, body in enumerate(bodies, start=1):
        st = f"{n:04d}"
        out.append(f"ST*{set_id}*{st}*{guide}~")
        out.extend(f"{segment}~" for segment in body)
        out.append(f"SE*{len(body) + 2}*{st}~")
    out.append(f"GE*{len(bodies)}*{group}~")
    out.append(f"IEA*1*{control:0>9}~")
    return "\n".join(out) + "\n"
