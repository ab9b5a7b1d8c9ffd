"""RequestFact, AtRiskVisit and DashboardRefresh move to the reports app (its 0001).

State only: the tables stay where they are, under their names, and reports' models name
them with db_table; no row moves.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("worklists", "0019_email_handed_over"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="AtRiskVisit"),
                migrations.DeleteModel(name="DashboardRefresh"),
                migrations.DeleteModel(name="RequestFact"),
            ],
            database_operations=[],
        ),
    ]
