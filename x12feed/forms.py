from __future__ import annotations

from django import forms


class X12UploadForm(forms.Form):
    file = forms.FileField(
        label="X12 file",
        help_text="One interchange of 271, 278 or 835 (5010) from a payer or clearinghouse",
    )
