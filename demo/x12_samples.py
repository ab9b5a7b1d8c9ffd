"""Sample X12 5010 files for the demo practice (seed_demo), to import from the Imports
page: a 278 with the payers' answers to some pending requests, a 271 with the benefits
of some coverages and an 835 with paid and denied claim lines of past visits.

They are written from the practice's own records, so each line finds what it names
(and one 835 line, on purpose, finds nothing)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from django.db.models import Q

from authq.lib.clock import day_start, local_date
from patients.models import Appointment, AppointmentStatus, Coverage
from payers.models import APPROVED_STATUSES, Authorization, AuthStatus

GUIDES = {"271": ("HB", "005010X279A1"), "278": ("HI", "005010X217"), "835": ("HP", "005010X221A1")}
RECEIVER = "AUTHQDEMO"
PRACTICE = "NM1*1P*2*DEMO SPECIALTY PRACTICE*****XX*1234567893"


def _day(value: dt.date) -> str:
    return value.strftime("%Y%m%d")


def envelope(
    set_id: str, bodies: Sequence[Sequence[str]], *, sender: str, control: int, on: dt.date
) -> str:
    """One interchange, one group, a transaction per body: counts and control numbers
    as the ISA/GS/ST trailers require."""
    functional, guide = GUIDES[set_id]
    out = [
        f"ISA*00*{'':10}*00*{'':10}*ZZ*{sender[:15]:<15}*ZZ*{RECEIVER:<15}*"
        f"{on:%y%m%d}*1200*^*00501*{control:09d}*0*T*:",
        f"GS*{functional}*{sender}*{RECEIVER}*{_day(on)}*1200*{control}*X*{guide}",
    ]
    for n, body in enumerate(bodies, start=1):
        out += [f"ST*{set_id}*{n:04d}*{guide}", *body, f"SE*{len(body) + 2}*{n:04d}"]
    out += [f"GE*{len(bodies)}*{control}", f"IEA*1*{control:09d}"]
    return "~\n".join(out) + "~\n"


def answers_278(on: dt.date) -> tuple[str, str] | None:
    """A1, A3 and A4 answers to three requests pending at the payer (by their trace)."""
    pending = list(
        Authorization.objects.filter(status=AuthStatus.SUBMITTED, payer__isnull=False)
        .exclude(payer_reference="")
        .exclude(determination_code="A4")  # already pended: the A4 would change nothing
        .select_related("payer")
        .order_by("id")[:3]
    )
    if not pending:
        return None
    bodies = []
    for auth, code in zip(pending, ("A1", "A3", "A4"), strict=False):
        assert auth.payer is not None  # filtered above
        start = auth.requested_start_date or on
        end = auth.requested_end_date or start + dt.timedelta(days=60)
        decision = {
            "A1": [f"HCR*A1*X12-{auth.pk}", f"DTP*AAH*RD8*{_day(start)}-{_day(end)}",
                   f"HSD*VS*{auth.requested_visits or 12}"],
            "A3": ["HCR*A3**35"],
            "A4": ["HCR*A4"],
        }[code]  # fmt: skip
        bodies.append([
            f"BHT*0007*11*{auth.payer_reference}*{_day(on)}*1200",
            "HL*1**20*1", f"NM1*X3*2*{auth.payer.name[:35].upper()}*****PI*{auth.payer.code}",
            "HL*2*1*21*1", PRACTICE,
            "HL*3*2*22*1", "NM1*IL*1*MEMBER*DEMO",
            "HL*4*3*EV*0", f"TRN*2*{auth.payer_reference}*9{auth.payer.code[:9]}",
            "UM*HS*I*2", *decision,
        ])  # fmt: skip
    sender = pending[0].payer.code if pending[0].payer else "DEMO"
    return sender, envelope("278", bodies, sender=sender, control=2780001, on=on)


def benefits_271(on: dt.date) -> tuple[str, str] | None:
    """Copay, coinsurance, deductible and what is left of it, and a visit limit for the
    first coverages of one payer."""
    first = Coverage.objects.filter(rank=1).select_related("payer").order_by("id").first()
    if first is None:
        return None
    coverages = Coverage.objects.filter(payer=first.payer, rank=1).order_by("id")[:3]
    bodies = [
        [
            f"BHT*0022*11*ELIG-{c.pk}*{_day(on)}*1200",
            "HL*1**20*1", f"NM1*PR*2*{c.payer.name[:35].upper()}*****PI*{c.payer.code}",
            "HL*2*1*21*1", PRACTICE,
            "HL*3*2*22*0", f"TRN*2*ELIG-{c.pk}*9PRACTICE1",
            f"NM1*IL*1*MEMBER*DEMO****MI*{c.member_id}",
            "EB*1*IND*30",
            f"EB*B*IND*PT^AE^30***27*{25 + 5 * n}",
            "EB*A*IND*30*****0.2",
            "EB*C*IND*30***23*1500",
            f"EB*C*IND*30***29*{1500 - 250 * n}",
            "EB*F*IND*PT^AE", "HSD*VS*30***22",
        ]
        for n, c in enumerate(coverages)
    ]  # fmt: skip
    code = first.payer.code
    return code, envelope("271", bodies, sender=code, control=2710001, on=on)


def remittance_835(on: dt.date) -> tuple[str, str] | None:
    """Claim lines of past visits of one payer's members: paid ones (with the auth number
    when one covers the day), a denial for a visit no authorization covers (CO-197), a
    non-authorization adjustment (CO-45), and one line for a visit authq never saw."""
    visits = list(
        Appointment.objects.filter(status=AppointmentStatus.FULFILLED, start__lt=day_start(on))
        .select_related("order__patient")
        .order_by("-start", "id")[:200]
    )
    chosen: list[tuple[Appointment, Coverage, Authorization | None]] = []
    payer = None
    for visit in visits:
        day = local_date(visit.start)
        coverage = (
            Coverage.objects.filter(patient_id=visit.order.patient_id, rank=1, start__lte=day)
            .filter(Q(end__isnull=True) | Q(end__gte=day))
            .select_related("payer")
            .first()
        )
        if coverage is None or (payer is not None and coverage.payer_id != payer.pk):
            continue
        payer = coverage.payer
        auth = Authorization.objects.filter(
            order_id=visit.order_id, status__in=APPROVED_STATUSES,
            start_date__lte=day, end_date__gte=day,
        ).exclude(auth_number="").first()  # fmt: skip
        chosen.append((visit, coverage, auth))
        if len(chosen) == 4:
            break
    if payer is None:
        return None
    claims: list[str] = []
    for n, (visit, coverage, auth) in enumerate(chosen):
        served = _day(local_date(visit.start))
        denied = n == 0 or auth is None
        svc = f"SVC*HC:{visit.order.code}*150*{'0' if denied else '110'}**1"
        adjust = ["CAS*CO*197*150", "LQ*HE*N54"] if denied else ["CAS*CO*45*40"]
        ref = [f"REF*G1*{auth.auth_number}"] if auth is not None and not denied else []
        claims += [
            f"CLP*DEMO{visit.pk}*{'4' if denied else '1'}*150*{'0' if denied else '110'}**12*PC{visit.pk}",
            f"NM1*QC*1*MEMBER*DEMO****MI*{coverage.member_id}",
            svc, f"DTM*472*{served}", *adjust, *ref,
        ]  # fmt: skip
    claims += [
        "CLP*DEMO-UNKNOWN*4*90*0**12*PCX",
        "NM1*QC*1*MEMBER*UNKNOWN****MI*NOT-A-MEMBER",
        "SVC*HC:97110*90*0**1", f"DTM*472*{_day(on - dt.timedelta(days=7))}", "CAS*CO*197*90",
    ]  # fmt: skip
    body = [
        f"BPR*I*0*C*NON************{_day(on)}",
        f"TRN*1*DEMO-ERA-{on:%Y%m%d}*1512345678",
        f"DTM*405*{_day(on)}",
        f"N1*PR*{payer.name[:35].upper()}*XV*{payer.code}",
        "N1*PE*DEMO SPECIALTY PRACTICE*XX*1234567893",
        "LX*1",
        *claims,
    ]
    return payer.code, envelope("835", [body], sender=payer.code, control=8350001, on=on)


def write_samples(folder: Path, on: dt.date) -> list[Path]:
    """Write the sample files into `folder`; the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, make in (
        ("benefits-271.x12", benefits_271),
        ("answers-278.x12", answers_278),
        ("remittance-835.x12", remittance_835),
    ):
        made = make(on)
        if made is None:
            continue
        path = folder / name
        path.write_text(made[1], encoding="ascii")
        written.append(path)
    return written
