"""The queue filters' widgets, rendered without templates, say what Django's would."""

from __future__ import annotations

from html.parser import HTMLParser

from django import forms

from worklists.forms import PlainSelect


class Parsed(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__()
        self.select: dict[str, str | None] = {}
        self.options: list[tuple[str | None, bool, str]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "select":
            self.select = dict(attrs)
        elif tag == "option":
            values = dict(attrs)
            self.options.append((values.get("value"), "selected" in values, ""))

    def handle_data(self, data: str) -> None:
        if self.options and not self.options[-1][2] and data.strip():
            value, selected, _ = self.options[-1]
            self.options[-1] = (value, selected, data)


CHOICES = [("", "Anyone"), ("7", 'O\'Brien & "Sons" <PT>'), ("12", "Ortho"), ("x&y", "Amp")]


def test_same_options_labels_selection_and_attributes_as_djangos_select() -> None:
    for value in ("", "12", "x&y", None, "missing"):
        ours = PlainSelect(choices=CHOICES).render("assignee", value, {"id": "id_assignee"})
        theirs = forms.Select(choices=CHOICES).render("assignee", value, {"id": "id_assignee"})
        assert Parsed(ours).options == Parsed(theirs).options
        assert (
            Parsed(ours).select
            == Parsed(theirs).select
            == {
                "name": "assignee",
                "id": "id_assignee",
            }
        )
    # Labels and values are escaped: the quote and the tag are text, not markup.
    html = PlainSelect(choices=CHOICES).render("a", "7")
    assert "&lt;PT&gt;" in html and 'value="x&amp;y"' in html
    assert Parsed(html).options[1] == ("7", True, 'O\'Brien & "Sons" <PT>')


def test_a_bound_field_with_an_error_keeps_its_aria_attributes() -> None:
    class F(forms.Form):
        pick = forms.ChoiceField(choices=CHOICES, widget=PlainSelect)

    field = F({"pick": "nonsense"})["pick"]
    attrs = Parsed(str(field)).select
    assert attrs["aria-invalid"] == "true" and "required" in attrs


class Inputs(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__()
        self.inputs: list[dict[str, str | None]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "input":
            self.inputs.append(dict(attrs))


def test_the_checkbox_and_number_inputs_say_what_djangos_would() -> None:
    from worklists.forms import PlainCheckbox, PlainNumber

    attrs = {"id": "id_x", "data-note": 'say "hi" & <go>'}
    for value in (True, False, None, "", "on"):
        ours = PlainCheckbox().render("mine", value, attrs)
        theirs = forms.CheckboxInput().render("mine", value, attrs)
        assert Inputs(ours).inputs == Inputs(theirs).inputs, (value, ours, theirs)
    assert "checked" in Inputs(PlainCheckbox().render("mine", True)).inputs[0]
    for value in (None, "", 7, "7", '"><b>'):
        ours = PlainNumber(attrs={"min": 0, "max": 365}).render("due_within", value, attrs)
        theirs = forms.NumberInput(attrs={"min": 0, "max": 365}).render("due_within", value, attrs)
        assert Inputs(ours).inputs == Inputs(theirs).inputs, (value, ours, theirs)
    assert 'value="&quot;&gt;&lt;b&gt;"' in PlainNumber().render("n", '"><b>')


def test_the_queue_filters_number_field_keeps_its_bounds_and_error_state() -> None:
    from worklists.forms import QueueFilterForm

    form = QueueFilterForm({"due_within": "900"}, workers=[], departments=[], payers=[])
    assert not form.is_valid()
    (attrs,) = Inputs(str(form["due_within"])).inputs
    assert attrs["type"] == "number" and attrs["value"] == "900"
    assert attrs["min"] == "0" and attrs["max"] == "365" and attrs["aria-invalid"] == "true"
    (mine,) = Inputs(
        str(QueueFilterForm({"mine": "on"}, workers=[], departments=[], payers=[])["mine"])
    ).inputs
    assert mine["type"] == "checkbox" and "checked" in mine
