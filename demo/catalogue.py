"""What the demo practice is made of: services with real codes, payers and their rules,
invented names, and the showcase of patients built to show one situation each.

CPT/HCPCS codes are opaque strings; ICD-10-CM diagnoses are checked against
simple-icd-10-cm when this module is imported.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypedDict

import simple_icd_10_cm as icd

from patients.models import Priority, ServiceCategory
from patients.validators import is_icd10cm_code
from payers.models import (
    DenialReason,
    PayerKind,
    RuleDefaults,
    SubmissionChannel,
)

D = dt.timedelta
Cat = ServiceCategory

# ---------------------------------------------------------------------------------------
# Services: what the practice orders, with real codes.


@dataclass(frozen=True)
class Service:
    category: str
    code: str
    diagnoses: tuple[str, ...]
    department: str
    # "series" (2-3 a week), "weekly", "cycle" (every step_days), "single".
    pattern: str
    visits: tuple[int, int] = (1, 1)
    step_days: tuple[int, ...] = ()
    weight: int = 1
    # Whether the order records visits_ordered (a plan of care).
    plan_of_care: bool = True


SERVICES: tuple[Service, ...] = (
    # Physical therapy: series of 8-24 visits.
    Service(Cat.PHYSICAL_THERAPY, "97110", ("M54.50", "M17.11", "M48.061", "M62.81"), "Physical Therapy", "series", (8, 24), weight=4),
    Service(Cat.PHYSICAL_THERAPY, "97140", ("M25.511", "M75.101", "S46.011A", "M54.50"), "Physical Therapy", "series", (8, 20), weight=3),
    Service(Cat.PHYSICAL_THERAPY, "97530", ("Z96.651", "S83.511A", "R26.89", "M17.11"), "Physical Therapy", "series", (8, 24), weight=2),
    # Occupational therapy.
    Service(Cat.OCCUPATIONAL_THERAPY, "97165", ("G56.01", "M65.4", "M19.041"), "Occupational Therapy", "series", (8, 16), weight=1),
    Service(Cat.OCCUPATIONAL_THERAPY, "97535", ("I63.9", "G20.A1", "M62.81", "S62.101A"), "Occupational Therapy", "series", (8, 20), weight=2),
    # Imaging: one visit, no plan of care. 71046/73030 are plain X-rays.
    Service(Cat.IMAGING, "70553", ("G43.909", "R51.9", "I63.9"), "Imaging", "single", weight=2, plan_of_care=False),
    Service(Cat.IMAGING, "72148", ("M54.50", "M51.16", "M48.061"), "Imaging", "single", weight=3, plan_of_care=False),
    Service(Cat.IMAGING, "73721", ("M17.11", "S83.511A", "M23.205"), "Imaging", "single", weight=3, plan_of_care=False),
    Service(Cat.IMAGING, "74177", ("R10.9", "K50.90", "C18.9"), "Imaging", "single", weight=1, plan_of_care=False),
    Service(Cat.IMAGING, "71046", ("R07.9", "J45.909", "C34.90"), "Imaging", "single", weight=2, plan_of_care=False),
    Service(Cat.IMAGING, "73030", ("M25.511", "S46.011A"), "Imaging", "single", weight=1, plan_of_care=False),
    # Diagnostic testing.
    Service(Cat.DIAGNOSTIC_TESTING, "93306", ("I48.91", "R07.9", "I25.10"), "Cardiology Diagnostics", "single", weight=3, plan_of_care=False),
    Service(Cat.DIAGNOSTIC_TESTING, "95910", ("G56.01", "M54.12", "E11.40"), "Neurodiagnostics", "single", weight=2, plan_of_care=False),
    Service(Cat.DIAGNOSTIC_TESTING, "93000", ("R55", "R07.9", "I48.91"), "Cardiology Diagnostics", "single", weight=2, plan_of_care=False),
    Service(Cat.DIAGNOSTIC_TESTING, "95810", ("G47.33",), "Sleep Lab", "single", weight=1, plan_of_care=False),
    Service(Cat.DIAGNOSTIC_TESTING, "93880", ("I65.23", "R55"), "Vascular Lab", "single", weight=1, plan_of_care=False),
    # Infusion cycles.
    Service(Cat.INFUSION, "J1745", ("K50.90", "K51.90", "M06.9", "L40.50"), "Infusion Center", "cycle", (3, 6), (42, 56), weight=2),
    Service(Cat.INFUSION, "96413", ("C50.911", "C34.90", "C18.9"), "Infusion Center", "cycle", (4, 8), (14, 21), weight=2),
    Service(Cat.INFUSION, "96365", ("D50.9", "M06.9"), "Infusion Center", "cycle", (3, 6), (7, 14, 28), weight=1),
    # Surgery: one date.
    Service(Cat.SURGERY, "29881", ("M23.205", "S83.241A"), "Surgery Center", "single", weight=3, plan_of_care=False),
    Service(Cat.SURGERY, "27447", ("M17.11", "M17.12"), "Surgery Center", "single", weight=2, plan_of_care=False),
    Service(Cat.SURGERY, "29827", ("M75.101", "S46.011A"), "Surgery Center", "single", weight=2, plan_of_care=False),
    Service(Cat.SURGERY, "63047", ("M48.061", "M51.16"), "Surgery Center", "single", weight=1, plan_of_care=False),
    # Medications given in clinic.
    Service(Cat.MEDICATION, "J0135", ("M06.9", "L40.50", "K50.90"), "Specialty Pharmacy Clinic", "cycle", (3, 6), (14, 28), weight=3),
    Service(Cat.MEDICATION, "J2357", ("J45.50", "J45.909"), "Specialty Pharmacy Clinic", "cycle", (3, 6), (14, 28), weight=1),
    Service(Cat.MEDICATION, "J0897", ("M81.0",), "Specialty Pharmacy Clinic", "cycle", (2, 2), (182,), weight=1),
    # Behavioral health: weekly sessions.
    Service(Cat.BEHAVIORAL_HEALTH, "90837", ("F41.1", "F33.1", "F43.10"), "Behavioral Health", "weekly", (8, 20), weight=3),
    Service(Cat.BEHAVIORAL_HEALTH, "90834", ("F41.1", "F32.A", "F90.2", "F41.0"), "Behavioral Health", "weekly", (6, 16), weight=3),
    Service(Cat.BEHAVIORAL_HEALTH, "90832", ("F43.10", "F41.0"), "Behavioral Health", "weekly", (4, 12), weight=1),
    # Specialty consults.
    Service(Cat.SPECIALTY_CONSULT, "99204", ("M79.7", "R07.9", "E11.9"), "Specialty Clinic", "single", weight=2, plan_of_care=False),
    Service(Cat.SPECIALTY_CONSULT, "99244", ("G47.33", "M06.9"), "Specialty Clinic", "single", weight=1, plan_of_care=False),
)  # fmt: skip

SERVICE_BY_CODE = {service.code: service for service in SERVICES}

# Share of orders per category (percent).
CATEGORY_WEIGHTS: dict[str, int] = {
    Cat.PHYSICAL_THERAPY: 30,
    Cat.OCCUPATIONAL_THERAPY: 10,
    Cat.IMAGING: 20,
    Cat.DIAGNOSTIC_TESTING: 10,
    Cat.INFUSION: 5,
    Cat.SURGERY: 6,
    Cat.MEDICATION: 7,
    Cat.BEHAVIORAL_HEALTH: 8,
    Cat.SPECIALTY_CONSULT: 4,
}


def _check_diagnoses() -> None:
    """Fail at import when a diagnosis is not a billable ICD-10-CM code (a leaf of the list)."""
    bad = sorted(
        {
            code
            for service in SERVICES
            for code in service.diagnoses
            if not (is_icd10cm_code(code) and icd.is_leaf(code))
        }
    )
    if bad:
        raise ValueError(f"Not billable ICD-10-CM codes in the demo catalogue: {bad}")


_check_diagnoses()

# ---------------------------------------------------------------------------------------
# Payers and their rules.


class TherapyTerms(TypedDict, total=False):
    """The terms a payer's therapy rules share (keyword arguments of RuleSpec)."""

    lead_time_days: int
    visit_threshold: int
    renewal_window_days: int


@dataclass(frozen=True)
class RuleSpec:
    auth_required: bool
    service_category: str = ""
    codes: tuple[str, ...] = ()
    plan: str = ""
    # Keyword-only, so it needs no default to follow the positional fields.
    effective_from: dt.date = field(kw_only=True)
    effective_to: dt.date | None = None
    lead_time_days: int = RuleDefaults.lead_time_days
    renewal_window_days: int = RuleDefaults.renewal_window_days
    visit_threshold: int = RuleDefaults.visit_threshold
    standard_turnaround_days: int = RuleDefaults.standard_turnaround_days
    expedited_turnaround_hours: int = RuleDefaults.expedited_turnaround_hours
    appeal_window_days: int = RuleDefaults.appeal_window_days


@dataclass
class PayerSpec:
    code: str
    name: str
    kind: str
    plans: tuple[str, ...]
    share: int
    rules: list[RuleSpec] = field(default_factory=list)
    id: int = 0
    # The payer directory (payers.Payer's phone ... hours) and its review vendors.
    directory: dict[str, str] = field(default_factory=dict)
    vendors: list[VendorSpec] = field(default_factory=list)


@dataclass(frozen=True)
class VendorSpec:
    service_category: str
    vendor: str
    phone: str
    fax: str
    portal_url: str


# Utilization-review vendors payers delegate service lines to; the contacts are made up
# (555-01xx numbers, .example portals).
REVIEW_VENDORS = (
    ("eviCore healthcare", "evicore"),
    ("Carelon Medical Benefits Management", "carelon"),
    ("Evolent Specialty Services", "evolent"),
)
HOURS = ("Mon-Fri 8 am - 6 pm ET", "Mon-Fri 7 am - 7 pm CT", "Mon-Fri 8 am - 5 pm ET")


def _phone(n: int) -> str:
    return f"(800) 555-{100 + n % 100:04d}"


def directory_for(i: int, payer: PayerSpec) -> None:
    """The i-th payer's directory and vendors, from its position alone (no random draws,
    so the rest of the practice stays the same for a seed)."""
    slug = payer.code.lower().replace("_", "-")
    payer.directory = {
        "phone": _phone(2 * i),
        "fax": _phone(2 * i + 1),
        "portal_url": f"https://providers.{slug}.example/prior-auth",
        "appeal_address": f"{payer.name}\nAttn: Appeals Unit\nPO Box {4100 + i}\nSpringfield, IL 62704",
        "hours": HOURS[i % len(HOURS)],
    }
    if payer.kind not in (PayerKind.COMMERCIAL, PayerKind.MEDICARE_ADVANTAGE, PayerKind.MEDICAID):
        return
    # Imaging goes to one vendor; every other payer also delegates therapy.
    imaging, host = REVIEW_VENDORS[i % 2]
    payer.vendors.append(
        VendorSpec(
            ServiceCategory.IMAGING,
            imaging,
            _phone(60 + i),
            _phone(80 + i),
            f"https://{host}.example/{slug}",
        )
    )
    if i % 2 == 0:
        therapy, host = REVIEW_VENDORS[2]
        for category in (ServiceCategory.PHYSICAL_THERAPY, ServiceCategory.OCCUPATIONAL_THERAPY):
            payer.vendors.append(
                VendorSpec(category, therapy, _phone(40 + i), "", f"https://{host}.example/{slug}")
            )


BASE_PAYERS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("JUNIPER", "Juniper Health Plan", PayerKind.COMMERCIAL, ("PPO", "HMO", "EPO")),
    ("BLUEHERON", "Blue Heron Mutual", PayerKind.COMMERCIAL, ("PPO", "HDHP")),
    ("SUMMITCREST", "Summitcrest Assurance", PayerKind.COMMERCIAL, ("POS", "PPO")),
    ("MCR-DEMO", "Medicare Part B (demo contractor)", PayerKind.MEDICARE, ("Part B",)),
    ("EVERGREEN-MA", "Evergreen Senior Advantage", PayerKind.MEDICARE_ADVANTAGE, ("HMO", "PPO")),
    ("SILVERLEAF-MA", "Silverleaf Medicare Advantage", PayerKind.MEDICARE_ADVANTAGE, ("HMO",)),
    ("STATE-MCD", "State Medicaid (demo)", PayerKind.MEDICAID, ("Fee-for-service",)),
    ("RIVERBEND", "Riverbend Community Care", PayerKind.MEDICAID, ("Managed care",)),
    ("KEYSTONE-WC", "Keystone Workers' Compensation", PayerKind.WORKERS_COMP, ("Claim",)),
    ("HIGHWAY-AUTO", "Highway Mutual Auto PIP", PayerKind.AUTO, ("PIP",)),
    ("TRICARE-DEMO", "TRICARE (demo region)", PayerKind.TRICARE, ("Prime", "Select")),
    ("LANTERN", "Lantern Union Benefit Trust", PayerKind.OTHER, ("Fund",)),
)

# More payers for bigger practices: 40 at 50,000 patients.
EXTRA_PAYER_NAMES = (
    "Aspenvale", "Brightwater", "Cobalt Ridge", "Driftwood", "Emberly", "Foxglove",
    "Granite Bay", "Harborlight", "Ironwood", "Jadeport", "Kestrel Point", "Larkspur",
    "Moonstone", "Northwind", "Oakhollow", "Pinecrest", "Quarry Hill", "Redfern",
    "Saltmarsh", "Thistledown", "Umberfield", "Valewood", "Whitestone", "Yarrowby",
    "Zephyr Vale", "Amberfield", "Bramblewood", "Clearbrook",
)  # fmt: skip
EXTRA_PAYER_KINDS = (
    PayerKind.COMMERCIAL, PayerKind.MEDICARE_ADVANTAGE, PayerKind.COMMERCIAL, PayerKind.MEDICAID,
    PayerKind.COMMERCIAL, PayerKind.MEDICARE_ADVANTAGE, PayerKind.COMMERCIAL, PayerKind.WORKERS_COMP,
    PayerKind.COMMERCIAL, PayerKind.MEDICAID, PayerKind.MEDICARE_ADVANTAGE, PayerKind.OTHER,
    PayerKind.COMMERCIAL, PayerKind.AUTO,
)  # fmt: skip
EXTRA_SUFFIX = {
    PayerKind.COMMERCIAL: ("Health Plan", ("PPO", "HMO", "EPO", "HDHP")),
    PayerKind.MEDICARE_ADVANTAGE: ("Medicare Advantage", ("HMO", "PPO")),
    PayerKind.MEDICAID: ("Community Care", ("Managed care",)),
    PayerKind.WORKERS_COMP: ("Comp Services", ("Claim",)),
    PayerKind.OTHER: ("Benefit Trust", ("Fund",)),
    PayerKind.AUTO: ("Auto Casualty", ("PIP",)),
}

ADVANCED_IMAGING = ("70553", "72148", "73721", "74177")
PLAIN_XRAY = ("71046", "73030")


def payer_count(patients: int) -> int:
    """12 payers for a small practice, growing to 40 at 50,000 patients."""
    return max(12, min(40, patients // 1250))


def build_payers(rng: random.Random, count: int, as_of: dt.date) -> list[PayerSpec]:
    payers = [
        PayerSpec(code, name, kind, plans, share=10) for code, name, kind, plans in BASE_PAYERS
    ]
    for i in range(count - len(BASE_PAYERS)):
        kind = EXTRA_PAYER_KINDS[i % len(EXTRA_PAYER_KINDS)]
        suffix, plans = EXTRA_SUFFIX[kind]
        base = EXTRA_PAYER_NAMES[i % len(EXTRA_PAYER_NAMES)]
        code = base.upper().replace(" ", "")[:12] + f"-{i + 13}"
        payers.append(PayerSpec(code, f"{base} {suffix}", kind, plans, share=4))
    for payer in payers:
        payer.rules = _rules_for(payer, rng, as_of)
    for i, payer in enumerate(payers):
        directory_for(i, payer)
    return payers


def _rules_for(payer: PayerSpec, rng: random.Random, as_of: dt.date) -> list[RuleSpec]:
    """A payer's rules: broad defaults, then category, code and plan specific ones."""
    since = dt.date(as_of.year - 2, 1, 1)
    this_year = dt.date(as_of.year, 1, 1)
    lead = rng.choice((3, 5, 7))
    therapy = TherapyTerms(
        lead_time_days=rng.choice((2, 3, 5)),
        visit_threshold=rng.choice((2, 2, 3)),
        renewal_window_days=rng.choice((10, 14, 14, 21)),
    )
    kind = payer.kind
    rules: list[RuleSpec] = []
    add = rules.append
    if kind in (PayerKind.COMMERCIAL, PayerKind.MEDICARE_ADVANTAGE):
        ma = kind == PayerKind.MEDICARE_ADVANTAGE
        # MA plans ask for most services; commercial plans for a list of them.
        add(RuleSpec(ma, effective_from=since, lead_time_days=lead))
        # Therapy: last year's rule with a tighter threshold, replaced on 1 January.
        add(
            RuleSpec(
                True,
                Cat.PHYSICAL_THERAPY,
                effective_from=since,
                effective_to=this_year - D(1),
                **therapy | {"visit_threshold": 3},
            )
        )
        add(RuleSpec(True, Cat.PHYSICAL_THERAPY, effective_from=this_year, **therapy))
        add(RuleSpec(True, Cat.OCCUPATIONAL_THERAPY, effective_from=since, **therapy))
        # Advanced imaging needs auth; plain films do not.
        add(RuleSpec(False, Cat.IMAGING, effective_from=since))
        if rng.random() < 0.5:
            # A policy change inside the scan's horizon: longer lead time from then on.
            change = as_of + D(rng.randint(8, 20))
            add(
                RuleSpec(
                    True,
                    Cat.IMAGING,
                    ADVANCED_IMAGING,
                    effective_from=since,
                    effective_to=change - D(1),
                    lead_time_days=lead,
                )
            )
            add(
                RuleSpec(
                    True,
                    Cat.IMAGING,
                    ADVANCED_IMAGING,
                    effective_from=change,
                    lead_time_days=lead + 3,
                )
            )
        else:
            add(
                RuleSpec(
                    True, Cat.IMAGING, ADVANCED_IMAGING, effective_from=since, lead_time_days=lead
                )
            )
        add(
            RuleSpec(
                True,
                Cat.DIAGNOSTIC_TESTING,
                ("93306", "95810", "95910"),
                effective_from=since,
                standard_turnaround_days=5,
            )
        )
        add(RuleSpec(False, Cat.DIAGNOSTIC_TESTING, ("93000",), effective_from=since))
        add(
            RuleSpec(
                True,
                Cat.INFUSION,
                effective_from=since,
                lead_time_days=14,
                expedited_turnaround_hours=72,
            )
        )
        add(
            RuleSpec(
                True, Cat.SURGERY, effective_from=since, lead_time_days=14, appeal_window_days=180
            )
        )
        add(
            RuleSpec(
                True,
                Cat.MEDICATION,
                ("J0135", "J2357", "J0897"),
                effective_from=since,
                lead_time_days=10,
            )
        )
        add(RuleSpec(True, Cat.BEHAVIORAL_HEALTH, ("90837",), effective_from=since))
        add(RuleSpec(ma, Cat.BEHAVIORAL_HEALTH, effective_from=since))
        if "HMO" in payer.plans:
            # HMO members need a referral for a specialist visit.
            add(
                RuleSpec(
                    True, Cat.SPECIALTY_CONSULT, plan="HMO", effective_from=since, lead_time_days=3
                )
            )
        if "EPO" in payer.plans:
            add(
                RuleSpec(
                    True,
                    Cat.PHYSICAL_THERAPY,
                    plan="EPO",
                    effective_from=this_year,
                    lead_time_days=5,
                    visit_threshold=3,
                )
            )
    elif kind == PayerKind.MEDICARE:
        # Traditional Medicare asks for little ahead of time.
        add(RuleSpec(False, effective_from=since))
        add(
            RuleSpec(
                True,
                Cat.SURGERY,
                ("63047", "27447"),
                effective_from=since,
                standard_turnaround_days=10,
                expedited_turnaround_hours=48,
            )
        )
        add(RuleSpec(False, Cat.PHYSICAL_THERAPY, effective_from=since))
        add(RuleSpec(False, Cat.IMAGING, effective_from=since))
        add(RuleSpec(True, Cat.MEDICATION, ("J0897",), effective_from=this_year))
    elif kind == PayerKind.MEDICAID:
        add(RuleSpec(True, effective_from=since, lead_time_days=lead, appeal_window_days=90))
        add(RuleSpec(True, Cat.PHYSICAL_THERAPY, effective_from=since, **therapy))
        add(RuleSpec(True, Cat.BEHAVIORAL_HEALTH, effective_from=since, visit_threshold=3))
        add(RuleSpec(False, Cat.SPECIALTY_CONSULT, effective_from=since))
        add(RuleSpec(False, Cat.DIAGNOSTIC_TESTING, ("93000",), effective_from=since))
        add(RuleSpec(False, Cat.IMAGING, PLAIN_XRAY, effective_from=since))
    elif kind == PayerKind.WORKERS_COMP:
        # Utilization review for the injury's care only; nothing broad (other care is unknown).
        for category in (
            Cat.PHYSICAL_THERAPY,
            Cat.OCCUPATIONAL_THERAPY,
            Cat.IMAGING,
            Cat.DIAGNOSTIC_TESTING,
            Cat.SURGERY,
            Cat.MEDICATION,
        ):
            add(
                RuleSpec(
                    True,
                    category,
                    effective_from=since,
                    lead_time_days=5,
                    standard_turnaround_days=5,
                    appeal_window_days=30,
                )
            )
    elif kind == PayerKind.AUTO:
        for category in (Cat.PHYSICAL_THERAPY, Cat.IMAGING, Cat.SURGERY):
            add(RuleSpec(True, category, effective_from=since, lead_time_days=3))
        add(RuleSpec(False, Cat.SPECIALTY_CONSULT, effective_from=since))
    elif kind == PayerKind.TRICARE:
        add(RuleSpec(False, effective_from=since))
        add(RuleSpec(True, plan="Prime", effective_from=since, lead_time_days=5))
        add(RuleSpec(True, Cat.IMAGING, ADVANCED_IMAGING, effective_from=since))
        add(RuleSpec(False, Cat.BEHAVIORAL_HEALTH, ("90834", "90832"), effective_from=since))
        add(RuleSpec(True, Cat.SURGERY, effective_from=since, lead_time_days=14))
    else:
        # A small benefit trust: a few listed services; its therapy rule lapsed last month.
        add(RuleSpec(True, Cat.IMAGING, ADVANCED_IMAGING, effective_from=since))
        add(RuleSpec(True, Cat.SURGERY, effective_from=since))
        add(RuleSpec(True, Cat.PHYSICAL_THERAPY, effective_from=since, effective_to=as_of - D(30)))
        add(RuleSpec(False, Cat.SPECIALTY_CONSULT, effective_from=since))
    return rules  # fmt: skip


def matching_rule(payer: PayerSpec, plan: str, service: Service, day: dt.date) -> RuleSpec | None:
    """The spec's matching, for the seed's own choices: None when no rule matches."""
    best: tuple[int, dt.date, int] | None = None
    found: RuleSpec | None = None
    for index, rule in enumerate(payer.rules):
        assert rule.effective_from is not None
        if rule.effective_from > day or (rule.effective_to is not None and rule.effective_to < day):
            continue
        if rule.plan and rule.plan != plan:
            continue
        if rule.service_category and rule.service_category != service.category:
            continue
        if rule.codes and service.code not in rule.codes:
            continue
        score = 4 * bool(rule.codes) + 2 * bool(rule.service_category) + bool(rule.plan)
        key = (score, rule.effective_from, -index)
        if best is None or key > best:
            best, found = key, rule
    return found


def rule_requires(payer: PayerSpec, plan: str, service: Service, day: dt.date) -> bool | None:
    """Whether the matching rule asks for an authorization: None when no rule matches."""
    rule = matching_rule(payer, plan, service, day)
    return None if rule is None else rule.auth_required


# ---------------------------------------------------------------------------------------
# People. Every name is invented and reads as such.

FIRST_NAMES = (
    "Avery", "Blake", "Casey", "Dana", "Eden", "Finley", "Gray", "Harper", "Indigo", "Jules",
    "Kai", "Logan", "Morgan", "Noel", "Oakley", "Parker", "Quinn", "Reese", "Sage", "Tatum",
    "Umber", "Vesper", "Winter", "Xen", "Yael", "Zion", "Arden", "Bellamy", "Cove", "Dell",
)  # fmt: skip
SURNAME_HEADS = (
    "Birch", "Cedar", "Maple", "Willow", "Alder", "Aspen", "Hazel", "Rowan", "Linden", "Sorrel",
    "Thistle", "Bracken", "Clover", "Fennel", "Heather", "Myrtle", "Sedge", "Tansy", "Yarrow", "Elm",
)  # fmt: skip
SURNAME_TAILS = (
    "Lark", "Finch", "Wren", "Heron", "Sparrow", "Otter", "Fern", "Brook", "Marten", "Plover",
    "Kestrel", "Vole", "Dace", "Teal", "Stoat", "Linnet",
)  # fmt: skip
AREA_CODES = ("201", "212", "315", "412", "516", "607", "718", "845", "914", "973")

# A denial's coded reason and the payer's words.
DENIAL_REASONS = (
    (DenialReason.MEDICAL_NECESSITY, "Medical necessity not established by the submitted documentation"),
    (DenialReason.MEDICAL_NECESSITY, "Conservative treatment for six weeks not documented"),
    (DenialReason.EXCEEDED_FREQUENCY, "Requested visits exceed the plan's limit for the period"),
    (DenialReason.NOT_COVERED, "Service not covered under the member's plan"),
    (DenialReason.OUT_OF_NETWORK, "Out-of-network provider; in-network alternative available"),
    (DenialReason.MISSING_INFORMATION, "Clinical notes missing from the request"),
)  # fmt: skip

# A user per role; admin-demo is also staff and superuser.
DEMO_USERS: tuple[tuple[str, str], ...] = (
    ("specialist", "specialist"),
    ("specialist2", "specialist"),
    ("scheduler", "scheduler"),
    ("manager", "manager"),
    ("admin-demo", "admin"),
    ("integration", "integration"),
)

# ---------------------------------------------------------------------------------------
# The showcase: the first patients, each built to show one situation on day one.


@dataclass(frozen=True)
class Case:
    coverage: str  # a coverage scenario of COVERAGE_SCENARIOS
    payer: str
    plan: str
    code: str
    start_offset: int  # first visit, days after as_of
    scenario: str  # an authorization scenario of SCENARIOS
    visits: int | None = None
    block: int | None = None
    next_outcome: str | None = None
    priority: str = Priority.ROUTINE
    resubmit: bool | None = None
    submitted_days_ago: int | None = None
    # The payer's determination code for a partial or submitted scenario.
    determination: str | None = None


SHOWCASE: tuple[Case, ...] = (
    # missing_auth: an MRI next week and nobody has asked.
    Case("steady", "JUNIPER", "PPO", "72148", 9, "missing"),
    # auth_expiring: PT whose second block of visits runs out this week.
    Case("steady", "JUNIPER", "PPO", "97110", -24, "approved", visits=18, block=8, next_outcome="none"),
    # visit_limit: PT approved for fewer visits than asked (A6, modified).
    Case("steady", "EVERGREEN-MA", "HMO", "97140", -10, "partial", visits=16, block=12, next_outcome="none", determination="A6"),
    # denied: an infusion denied recently, inside the appeal window; its next visit is far
    # enough off (the payer's lead time is 14 days) for the appeal to be due in a few days.
    Case("steady", "BLUEHERON", "PPO", "J1745", 17, "denied", resubmit=False),
    # pending_follow_up: a knee replacement submitted as long ago as the payer's turnaround,
    # pended (A4): the follow-up is due today.
    Case("steady", "SUMMITCREST", "POS", "27447", 20, "submitted", determination="A4"),
    # no_coverage: the only coverage ended last month; OT is booked.
    Case("lapsed", "RIVERBEND", "Managed care", "97535", -3, "missing", visits=12),
    # unknown_rule: the auto insurer has no rule for behavioral health.
    Case("steady", "HIGHWAY-AUTO", "PIP", "90837", -14, "missing", visits=12),
    # A draft not yet sent: still a missing authorization.
    Case("steady", "STATE-MCD", "Fee-for-service", "93306", 12, "draft"),
    # Cancelled and replaced by an approval: covered.
    Case("steady", "RIVERBEND", "Managed care", "J0135", -20, "cancelled", visits=6),
    # Approved without a visit count: covered.
    Case("steady", "TRICARE-DEMO", "Prime", "90834", -7, "unlimited", visits=12),
    # An urgent surgery tomorrow with no authorization: the stat queue.
    Case("steady", "JUNIPER", "HMO", "29881", 1, "missing", priority=Priority.URGENT),
    # A referral for a specialist visit (HMO plan rule).
    Case("steady", "JUNIPER", "HMO", "99204", 15, "missing"),
    # OT certified in part (A2); the next block is already approved.
    Case("steady", "SUMMITCREST", "PPO", "97165", -12, "partial", visits=16, block=8, next_outcome="approved", determination="A2"),
    # A diagnostic test approved and done: history only.
    Case("steady", "SILVERLEAF-MA", "HMO", "95910", -40, "approved"),
    # Medicare primary with a Medicaid secondary; imaging needs no auth.
    Case("dual", "MCR-DEMO", "Part B", "73721", 4, "missing"),
    # Workers' comp: a surgery approved for next month.
    Case("steady", "KEYSTONE-WC", "Claim", "29827", 25, "approved"),
    # A benefit trust whose therapy rule has lapsed: unknown rule.
    Case("steady", "LANTERN", "Fund", "97110", -5, "missing", visits=10),
    # New insurance that starts in 5 to 25 days; the visits before it have no coverage.
    Case("future", "JUNIPER", "PPO", "97110", 3, "missing", visits=12),
)  # fmt: skip

# Authorization scenarios for the block of visits around as_of, with their weights.
SCENARIOS: tuple[tuple[str, int], ...] = (
    ("approved", 52),
    ("partial", 7),
    ("submitted", 10),
    ("denied", 5),
    ("draft", 4),
    ("missing", 8),
    ("cancelled", 4),
    ("unlimited", 10),
)
# What has happened to the next block of visits when it starts soon.
NEXT_OUTCOMES: tuple[tuple[str, int], ...] = (("approved", 65), ("submitted", 25), ("none", 10))
COVERAGE_SCENARIOS: tuple[tuple[str, int], ...] = (
    ("steady", 85),
    ("switched", 5),
    ("lapsed", 2),
    ("ending", 3),
    ("future", 2),
    ("none", 1),
    ("dual", 2),
)
ORDERS_PER_PATIENT: tuple[tuple[int, int], ...] = ((1, 20), (2, 30), (3, 28), (4, 15), (5, 7))
CHANNELS: tuple[tuple[str, int], ...] = (
    (SubmissionChannel.PORTAL, 50),
    (SubmissionChannel.FAX, 20),
    (SubmissionChannel.PHONE, 10),
    (SubmissionChannel.ELECTRONIC, 20),
)


class Picker:
    """Weighted choices with precomputed cumulative weights."""

    def __init__(self, rng: random.Random, pairs: Sequence[tuple[Any, int]]) -> None:
        self._rng = rng
        self._values = [value for value, _ in pairs]
        self._cum = list(itertools.accumulate(weight for _, weight in pairs))

    def __call__(self) -> Any:
        return self._rng.choices(self._values, cum_weights=self._cum)[0]
