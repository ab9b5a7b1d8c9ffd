"""The queue filters' <select>, rendered without templates, says what Django's would."""

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
