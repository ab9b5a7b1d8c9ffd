from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from patients.validators import is_icd10cm_code, validate_icd10cm


@pytest.mark.parametrize("code", ["M54.50", "M17.11", "F41.1", "S72.001A", "I10"])
def test_real_billable_icd10cm_codes_are_accepted(code):
    assert is_icd10cm_code(code)


@pytest.mark.parametrize(
    "code",
    # The last three are real headers, not billable: M54, M54.5, S72.001 (no 7th character).
    ["Z99.999", "M50-M54", "m54.50", "M5450", "97110", "", "M54", "M54.5", "S72.001"],
)
def test_codes_not_on_the_icd10cm_list_are_refused_by_name(code):
    with pytest.raises(ValidationError) as caught:
        validate_icd10cm(code)
    assert code in str(caught.value)
