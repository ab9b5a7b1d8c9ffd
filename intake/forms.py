from __future__ import annotations

from django import forms

from intake.models import ImportProfile


class UploadForm(forms.Form):
    profile = forms.ModelChoiceField(
        ImportProfile.objects.order_by("name"), to_field_name="name", empty_label=None
    )
    file = forms.FileField(
        label="Export file",
        help_text=".csv (UTF-8 or Windows-1252; comma, semicolon or tab) or .xlsx",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )
