"""The queue-order index's terms are now written as literals (authq.lib.sql.Literal).

The index in the database is the same (an index's expressions are stored with their
constants either way): only the migration state changes, nothing is rebuilt.
"""

import datetime

import django.db.models.functions.comparison
from django.db import migrations, models

import authq.lib.sql


class Migration(migrations.Migration):
    dependencies = [
        ("worklists", "0008_queue_rank_keyset"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(model_name="workitem", name="worklists_item_queue_rank"),
                migrations.AddIndex(
                    model_name="workitem",
                    index=models.Index(
                        models.Case(
                            models.When(queue=authq.lib.sql.Literal("stat"), then=authq.lib.sql.Literal(0)),
                            default=authq.lib.sql.Literal(1),
                        ),
                        models.F("due_date"),
                        django.db.models.functions.comparison.Coalesce(
                            "first_service_date", authq.lib.sql.Literal(datetime.date(9999, 12, 31))
                        ),
                        models.F("id"),
                        condition=models.Q(
                            ("status__in", ("open", "in_progress", "waiting_on_payer"))
                        ),
                        name="worklists_item_queue_rank",
                    ),
                ),
            ],
        ),
    ]
