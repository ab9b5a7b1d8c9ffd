# The access audit (patients migration 0004) extended to the records of the work on an
# item that hold patient data: clinical documents and notes (patient notifications: 0013).
# The same statement-level trigger function records who created, changed or deleted them.
from django.db import migrations

# table -> (patient id of row r, join it needs, model label recorded)
TABLES = {
    "payers_document": (
        "o.patient_id",
        "LEFT JOIN patients_order o ON o.id = r.order_id",
        "payers.document",
    ),
    "worklists_workitemnote": (
        "o.patient_id",
        "LEFT JOIN worklists_workitem w ON w.id = r.work_item_id "
        "LEFT JOIN patients_order o ON o.id = w.order_id",
        "worklists.workitemnote",
    ),
}
OPS = (
    ("INSERT", "NEW TABLE AS new_rows"),
    ("UPDATE", "NEW TABLE AS new_rows"),
    ("DELETE", "OLD TABLE AS old_rows"),
)


def _quote(value):
    return "'" + value.replace("'", "''") + "'"


CREATE = "\n".join(
    f"CREATE TRIGGER {table}_audit_{op.lower()} AFTER {op} ON {table} REFERENCING {ref} "
    f"FOR EACH STATEMENT EXECUTE FUNCTION authq_audit_rows({', '.join(map(_quote, args))});"
    for table, args in TABLES.items()
    for op, ref in OPS
)
DROP = "\n".join(
    f"DROP TRIGGER IF EXISTS {table}_audit_{op.lower()} ON {table};"
    for table in TABLES
    for op, _ in OPS
)


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0006_coverage_patients_coverage_key_unique_and_more"),
        ("payers", "0004_rulebook_version"),
        ("worklists", "0011_workitem_reassign_permission"),
    ]

    operations = [migrations.RunSQL(CREATE, DROP)]
