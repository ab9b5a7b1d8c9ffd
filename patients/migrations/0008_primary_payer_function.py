"""The SQL function patients_primary_payer(patient, day): the payer id of the patient's
primary coverage on the day (null when none), for raw SQL that must pick it the way
Coverage.objects.primary_on does (see patients/models.py and docs/domain.md)."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION patients_primary_payer(patient bigint, day date)
RETURNS bigint
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT c.payer_id FROM patients_coverage c
    WHERE c.patient_id = patient AND c.rank = 1
      AND c.start <= day AND (c."end" IS NULL OR c."end" >= day)
    ORDER BY c.start DESC, c.id DESC
    LIMIT 1
$$
"""

DROP = "DROP FUNCTION IF EXISTS patients_primary_payer(bigint, date)"


class Migration(migrations.Migration):
    dependencies = [("patients", "0007_bounds_and_checks")]

    operations = [migrations.RunSQL(CREATE, DROP)]
