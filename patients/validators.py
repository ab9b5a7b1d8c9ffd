"""Validation of clinical codes against real code lists."""

from __future__ import annotations

import re
from functools import cache
from types import ModuleType

from django.core.exceptions import ValidationError

_ICD_SHAPE = re.compile(r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")


@cache
def _icd() -> ModuleType:
    """The ICD-10-CM list, loaded on first use: it parses the whole list when imported
    (seconds), which every web worker, Celery worker and command would otherwise pay."""
    import simple_icd_10_cm

    return simple_icd_10_cm


def is_icd10cm_code(code: str) -> bool:
    """A billable code of the ICD-10-CM list, with its dot (M54.50): a leaf of the list.

    A header with codes below it (M54, M54.5, S72.001 without its 7th character) is not
    billable and is refused: a claim naming it is denied.
    """
    if not _ICD_SHAPE.match(code):
        return False
    icd = _icd()
    return (
        icd.is_valid_item(code)
        and (icd.is_category_or_subcategory(code) or icd.is_extended_subcategory(code))
        and icd.is_leaf(code)
    )


def icd10cm_description(code: str) -> str:
    """The list's words for code, or "" for a code it does not hold."""
    try:
        return str(_icd().get_description(code))
    except ValueError:
        return ""


def validate_icd10cm(code: str) -> None:
    if not is_icd10cm_code(code):
        raise ValidationError(
            "%(code)s is not a billable ICD-10-CM code (expected a form like M54.50).",
            code="invalid_icd10cm",
            params={"code": code},
        )
