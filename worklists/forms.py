"""Forms of the queue page: its filters, and assigning an item to a colleague."""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.db.models import Exists, OuterRef
from django.db.models.lookups import Exact
from django.forms.utils import flatatt
from django.forms.widgets import Input
from django.utils.safestring import SafeString, mark_safe

from patients.models import Appointment, ServiceCategory, primary_payer_on
from worklists.models import ItemKind, Queue, WorkItemQuerySet

UNASSIGNED = "none"


def choice_field(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    """The form's choice field `name`, for setting its choices per request."""
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    return field


def model_choice_field(form: forms.BaseForm, name: str) -> forms.ModelChoiceField:
    """The form's model choice field `name`, for setting its queryset per request."""
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)
    return field


class PlainSelect(forms.Select):
    """A single <select> rendered in Python: the same markup as forms.Select, without a
    template per option (the queue's filters list every colleague, department and payer
    on every page: ~150 options, 12 ms through templates, well under 1 ms here)."""

    def render(self, name: str, value: Any, attrs: Any = None, renderer: Any = None) -> SafeString:
        selected = {str(v) for v in self.format_value(value)}
        options = "\n".join(
            f'  <option value="{escape(str(key))}"'
            f"{' selected' if str(key) in selected else ''}>{escape(str(label))}</option>"
            for key, label in self.choices
        )
        attrs = flatatt(self.build_attrs(self.attrs, attrs))
        return mark_safe(f'<select name="{escape(name)}"{attrs}>\n{options}\n</select>')


class _PlainInput(Input):
    """An <input> rendered in Python, as Django's input.html and attrs.html would."""

    def render(self, name: str, value: Any, attrs: Any = None, renderer: Any = None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        shown = widget["value"]
        value_attr = f' value="{escape(str(shown))}"' if shown is not None else ""
        return mark_safe(
            f'<input type="{escape(widget["type"])}" name="{escape(widget["name"])}"'
            f"{value_attr}{flatatt(widget['attrs'])}>"
        )


class PlainCheckbox(_PlainInput, forms.CheckboxInput):
    pass


class PlainNumber(_PlainInput, forms.NumberInput):
    pass


class QueueFilterForm(forms.Form):
    """The queue page's filters; every field is optional and an empty form shows everything."""

    queue = forms.ChoiceField(
        choices=[("", "Every queue"), *Queue.choices], required=False, widget=PlainSelect
    )
    kind = forms.ChoiceField(
        choices=[("", "Any kind"), *ItemKind.choices], required=False, widget=PlainSelect
    )
    payer = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, widget=PlainSelect)
    category = forms.ChoiceField(
        label="Service",
        choices=[("", "Any service"), *ServiceCategory.choices],
        required=False,
        widget=PlainSelect,
    )
    department = forms.ChoiceField(required=False, widget=PlainSelect)
    assignee = forms.ChoiceField(required=False, widget=PlainSelect)
    mine = forms.BooleanField(label="My items", required=False, widget=PlainCheckbox)
    overdue = forms.BooleanField(label="Overdue", required=False, widget=PlainCheckbox)
    due_within = forms.IntegerField(
        label="Due within (days)", min_value=0, max_value=365, required=False, widget=PlainNumber
    )

    def __init__(
        self,
        *args: Any,
        workers: list[tuple[str, str]],
        departments: list[tuple[str, str]],
        payers: list[tuple[str, str]],
        **kw: Any,
    ):
        """The choices are (value, label) pairs: workers and payers by id."""
        super().__init__(*args, **kw)
        for name, choices in (
            ("assignee", [("", "Anyone"), (UNASSIGNED, "Unassigned"), *workers]),
            ("department", [("", "Any department"), *departments]),
            ("payer", [("", "Any payer"), *payers]),
        ):
            choice_field(self, name).choices = choices

    def filter(self, items: WorkItemQuerySet, *, user: User, today: dt.date) -> WorkItemQuerySet:
        """Narrow open items to the valid filters (call after is_valid())."""
        data = self.cleaned_data
        if data.get("queue"):
            items = items.in_queue(data["queue"])
        if data.get("kind"):
            items = items.filter(kind=data["kind"])
        if data.get("payer"):
            # The patient's primary coverage today is with this payer.
            items = items.filter(
                Exact(primary_payer_on(today, "order__patient_id"), int(data["payer"]))
            )
        if data.get("category"):
            items = items.filter(order__service_category=data["category"])
        if data.get("department"):
            # Any visit of the order from today on is booked in that department.
            items = items.filter(
                Exists(
                    Appointment.objects.filter(
                        order_id=OuterRef("order_id"),
                        department=data["department"],
                        start__date__gte=today,
                    )
                )
            )
        assignee = data.get("assignee")
        if data.get("mine"):
            items = items.filter(assignee=user)
        elif assignee == UNASSIGNED:
            items = items.filter(assignee__isnull=True)
        elif assignee:
            items = items.filter(assignee_id=int(assignee))
        if data.get("overdue"):
            items = items.overdue(today)
        if data.get("due_within") is not None:
            items = items.filter(due_date__lte=today + dt.timedelta(days=data["due_within"]))
        return items

    def counted_by(self) -> dict[str, Any] | None:
        """The filters as services.count_open's arguments, when the overview's count rows
        can answer them (queue, kind, overdue, due within, unassigned); else None."""
        data = self.cleaned_data
        simple = {"queue", "kind", "overdue", "due_within"}
        active = {name for name, value in data.items() if value not in (None, "", False)}
        if data.get("assignee") == UNASSIGNED and not data.get("mine"):
            active.discard("assignee")
        elif data.get("assignee"):
            return None
        if not active <= simple:
            return None
        return {
            "queue": data.get("queue") or None,
            "kind": data.get("kind") or None,
            "overdue": bool(data.get("overdue")),
            "due_within": data.get("due_within"),
            "unclaimed": data.get("assignee") == UNASSIGNED,
        }

    def active_count(self) -> int:
        return sum(1 for v in self.cleaned_data.values() if v not in (None, "", False))


class AssignForm(forms.Form):
    to = forms.ModelChoiceField(queryset=User.objects.none(), label="Assign to")

    def __init__(self, *args: Any, workers: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        model_choice_field(self, "to").queryset = workers


def query_without(data: Any, *names: str) -> str:
    """The query string of data without the given keys (for paging links)."""
    copy = data.copy()
    for name in names:
        copy.pop(name, None)
    return copy.urlencode()
