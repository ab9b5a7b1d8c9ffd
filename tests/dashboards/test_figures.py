"""Each figure of the dashboard against the value worked out by hand (see conftest)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from authq.lib import spreadsheets
from payers.models import Authorization
from reports import export, figures, refresh
from tests import factories as f
from tests.dashboards.conftest import HOSTILE, NOW, RANGE

pytestmark = pytest.mark.django_db


def row(rows: list[dict[str, Any]], **match: object) -> dict[str, Any]:
    found = [r for r in rows if all(r.get(k) == v for k, v in match.items())]
    assert len(found) == 1, (match, rows)
    return found[0]


def test_turnaround_all_standard_and_expedited(board: figures.Dashboard) -> None:
    everything, standard, expedited = board.summary
    # Decided hours: 10, 20, 30, 200 (standard) and 80 (expedited).
    assert everything["decided"] == 5
    assert everything["mean"] == 68.0  # 340 / 5
    assert everything["median"] == 30.0
    assert everything["p90"] == 152.0  # 80 + 0.6 * (200 - 80)
    assert (standard["decided"], standard["mean"], standard["median"]) == (4, 65.0, 25.0)
    assert standard["p90"] == 149.0  # 30 + 0.7 * (200 - 30)
    assert (expedited["decided"], expedited["mean"], expedited["median"]) == (1, 80.0, 80.0)


def test_share_decided_within_the_clock(board: figures.Dashboard) -> None:
    everything, standard, expedited = board.summary
    assert standard["pct_within_clock"] == 75.0  # 10, 20, 30 within 168 h; 200 not
    assert expedited["pct_within_clock"] == 0.0  # 80 h > 72 h
    assert everything["pct_within_clock"] == 60.0
    assert everything["pct_extended"] == 40.0


def test_outcomes_of_decided_requests(board: figures.Dashboard) -> None:
    everything = board.summary[0]
    assert everything["requests"] == 7  # cancelled, draft and the August one left out
    assert (everything["pct_approved"], everything["pct_partial"]) == (60.0, 20.0)
    assert everything["pct_denied"] == 20.0
    assert everything["pct_after_appeal"] == 20.0  # b1 of 5 decided


def test_pended_past_the_clock(board: figures.Dashboard) -> None:
    everything, standard, expedited = board.summary
    assert (everything["pending"], everything["pended_past_clock"]) == (2, 1)
    assert standard["pended_past_clock"] == 0  # 100 h < 168 h
    assert expedited["pended_past_clock"] == 1  # STAT order: 100 h > 72 h
    assert expedited["pct_pended_past_clock"] == 50.0


def test_payer_scorecard_uses_cms_definitions(board: figures.Dashboard) -> None:
    alpha = row(board.scorecard, payer="Alpha Health", kind="Standard")
    assert (alpha["requests"], alpha["decided"]) == (4, 4)
    assert alpha["pct_any_approval"] == 75.0
    assert alpha["pct_denied"] == 25.0
    assert alpha["pct_extended"] == 25.0
    assert (alpha["mean"], alpha["median"]) == (65.0, 25.0)
    beta_exp = row(board.scorecard, payer="Beta Care", kind="Expedited")
    assert beta_exp["pct_after_appeal"] == 100.0
    assert beta_exp["pct_extended"] == 100.0
    beta_std = row(board.scorecard, payer="Beta Care", kind="Standard")
    assert (beta_std["requests"], beta_std["decided"], beta_std["pct_denied"]) == (1, 0, None)


def test_by_payer_by_service_and_per_week(board: figures.Dashboard) -> None:
    assert [r["payer"] for r in board.payers] == ["Alpha Health", "Beta Care"]
    assert row(board.payers, payer="Beta Care")["pending"] == 2
    imaging = row(board.categories, service_category="imaging")
    assert (imaging["requests"], imaging["median"]) == (3, 80.0)
    week = row(board.trend, week=dt.date(2026, 10, 5))  # Monday of Oct 5
    assert (week["std_requests"], week["std_median"], week["exp_requests"]) == (4, 25.0, 1)


def test_top_denial_reasons_by_payer_and_service(board: figures.Dashboard) -> None:
    # a4 has only free text (HOSTILE), no code: the not-coded row, never the text itself.
    not_coded = {"code": "", "reason": figures.NOT_CODED, "n": 1}
    assert board.reasons == [not_coded]
    assert board.reasons_by_payer == [{**not_coded, "payer": "Alpha Health"}]
    assert board.reasons_by_category[0]["category"] == "Physical therapy"


def test_payers_overdue_now(board: figures.Dashboard) -> None:
    assert len(board.overdue_payers) == 1
    beta = board.overdue_payers[0]
    assert (beta["payer"], beta["n"], beta["expedited"], beta["oldest_hours"]) == (
        "Beta Care",
        1,
        1,
        100,
    )


def test_open_items_by_age_and_kind(board: figures.Dashboard) -> None:
    ages = {r["bucket"]: r for r in board.aging}
    assert (ages["0-2 days"]["stat"], ages["0-2 days"]["overdue"]) == (1, 1)
    assert ages["8-14 days"]["routine"] == 1
    assert sum(r["total"] for r in board.aging) == 2  # the resolved item is not open
    assert row(board.kinds, kind="missing_auth")["overdue"] == 1
    assert row(board.kinds, kind="pending_follow_up")["unclaimed"] == 1


def test_appointments_at_risk_in_7_14_30_days(board: figures.Dashboard) -> None:
    assert board.risk_departments == [{"group": "Ortho PT", "d7": 1, "d14": 1, "d30": 2}]
    assert board.risk_payers == [{"group": "Alpha Health", "d7": 1, "d14": 1, "d30": 2}]


def test_productivity_per_person_and_week(board: figures.Dashboard) -> None:
    first = row(board.productivity, period=dt.date(2026, 10, 5))
    assert (first["person"], first["actions"], first["submissions"]) == ("spec1", 1, 1)
    assert first["median_to_submit"] == 5.0
    second = row(board.productivity, period=dt.date(2026, 10, 12))
    assert (second["resolved"], second["actions"], second["submissions"]) == (1, 2, 0)
    assert board.productivity_totals == [
        {"person": "spec1", "resolved": 1, "actions": 3, "submissions": 1}
    ]


def test_productivity_per_day(practice: dict[str, Any]) -> None:
    board = figures.build(dataclasses.replace(RANGE, grain="day"), now=NOW)
    days = {r["period"]: r for r in board.productivity}
    assert days[dt.date(2026, 10, 10)]["median_to_submit"] == 5.0
    assert days[dt.date(2026, 10, 18)]["resolved"] == 1


@pytest.mark.parametrize(
    ("narrow", "requests", "decided"),
    [
        ({"payer": "alpha"}, 4, 4),
        ({"payer": "beta"}, 3, 1),
        ({"category": "imaging"}, 3, 1),
        ({"department": "Ortho PT"}, 4, 4),
        ({"start": dt.date(2026, 10, 16)}, 2, 0),
    ],
)
def test_filters_narrow_the_figures(
    practice: dict[str, Any], narrow: dict[str, Any], requests: int, decided: int
) -> None:
    if "payer" in narrow:
        narrow = {"payer_id": practice[narrow.pop("payer")].pk}
    board = figures.build(dataclasses.replace(RANGE, **narrow), now=NOW)
    assert (board.summary[0]["requests"], board.summary[0]["decided"]) == (requests, decided)


def test_filters_narrow_queue_health(practice: dict[str, Any]) -> None:
    imaging = figures.build(dataclasses.replace(RANGE, category="imaging"), now=NOW)
    assert sum(r["total"] for r in imaging.aging) == 1
    assert imaging.risk_departments == []
    ortho = figures.build(dataclasses.replace(RANGE, department="Ortho PT"), now=NOW)
    assert sum(r["total"] for r in ortho.aging) == 1
    assert ortho.productivity == []  # spec1 worked only on Imaging orders
    beta = figures.build(dataclasses.replace(RANGE, payer_id=practice["beta"].pk), now=NOW)
    assert sum(r["total"] for r in beta.aging) == 1
    assert row(beta.productivity_totals, person="spec1")["resolved"] == 1


def test_refresh_is_incremental_and_idempotent(practice: dict[str, Any]) -> None:
    later = NOW + dt.timedelta(hours=1)
    unchanged = refresh.refresh_request_facts(now=later)
    assert unchanged is not None and not unchanged.full
    before = figures.build(RANGE, now=later).summary[0]
    pending = Authorization.objects.get(status="submitted", order__priority="routine")
    pending.status = "denied"
    pending.decided_at = later
    pending.save()
    again = refresh.refresh_request_facts(now=later + dt.timedelta(minutes=5))
    assert again is not None and again.rows >= 1
    after = figures.build(RANGE, now=later).summary[0]
    assert after["denied"] == before["denied"] + 1
    assert after["pending"] == before["pending"] - 1
    twice = refresh.refresh_request_facts(now=later + dt.timedelta(minutes=6))
    assert twice is not None
    assert figures.build(RANGE, now=later).summary[0] == after


def test_an_empty_range_shows_no_figures(practice: dict[str, Any]) -> None:
    board = figures.build(
        figures.Filters(start=dt.date(2025, 1, 1), end=dt.date(2025, 1, 31)), now=NOW
    )
    assert board.summary[0]["requests"] == 0
    assert board.summary[0]["median"] is None
    assert board.trend == [] and board.scorecard == []


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (HOSTILE, "'" + HOSTILE),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain", "plain"),
        (12.5, "12.5"),
        (None, ""),
    ],
)
def test_csv_cells_that_start_a_formula_are_quoted(value: object, cell: str) -> None:
    assert spreadsheets.csv_cell(value) == cell


def test_csv_of_the_denials_names_the_reason_not_the_payers_text(
    board: figures.Dashboard,
) -> None:
    text = export.to_csv(board, "denials")
    assert text.splitlines()[1] == f"{figures.NOT_CODED},1"
    assert "HYPERLINK" not in text


def test_every_table_exports(board: figures.Dashboard) -> None:
    for table in export.TABLES:
        lines = export.to_csv(board, table).splitlines()
        assert len(lines) >= 1, table


def test_percentile_refuses_a_fraction_outside_0_to_1() -> None:
    with pytest.raises(ValueError):
        figures.Percentile("hours", 1.5)


def test_default_range_is_the_last_90_days() -> None:
    filters = figures.Filters.default(f.d("2026-10-20"))
    assert (filters.start, filters.end) == (f.d("2026-07-23"), f.d("2026-10-20"))


def test_the_beat_task_refreshes_the_facts(practice: dict[str, Any]) -> None:
    from reports.models import DashboardRefresh, RequestFact
    from reports.tasks import refresh_dashboard

    RequestFact.objects.all().delete()
    run_id = refresh_dashboard()
    assert DashboardRefresh.objects.get(pk=run_id).full is False
    # Incremental: every fixture row changed moments ago, so all come back.
    assert RequestFact.objects.count() == 9  # every submitted one; the draft is not
