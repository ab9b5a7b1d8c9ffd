"""The dashboard's fact tables, moved from worklists (its 0020) in the state only.

The tables were created by worklists 0004 and keep their names (db_table). Their content
types (and so their permissions) change app with them.
"""

import django.contrib.postgres.fields
import django.db.models.deletion
from django.db import migrations, models

MODELS = ("requestfact", "atriskvisit", "dashboardrefresh")


def relabel(apps, schema_editor, old, new):
    content_type = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    content_type.objects.using(db).filter(app_label=old, model__in=MODELS).update(app_label=new)


def forwards(apps, schema_editor):
    relabel(apps, schema_editor, "worklists", "reports")


def backwards(apps, schema_editor):
    relabel(apps, schema_editor, "reports", "worklists")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("patients", "0008_primary_payer_function"),
        ("payers", "0006_bounds_and_checks"),
        ("worklists", "0020_move_dashboard_facts_to_reports"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="DashboardRefresh",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("started_at", models.DateTimeField()),
                        ("finished_at", models.DateTimeField(blank=True, null=True)),
                        ("full", models.BooleanField(default=False)),
                        ("rows", models.PositiveIntegerField(default=0)),
                        (
                            "departments",
                            django.contrib.postgres.fields.ArrayField(
                                base_field=models.CharField(max_length=100),
                                blank=True,
                                default=list,
                                help_text="Every department seen in the facts, for the filter's choices.",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "worklists_dashboardrefresh",
                        "ordering": ["-started_at"],
                    },
                ),
                migrations.CreateModel(
                    name="AtRiskVisit",
                    fields=[
                        (
                            "appointment",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                primary_key=True,
                                related_name="+",
                                serialize=False,
                                to="patients.appointment",
                            ),
                        ),
                        ("start", models.DateTimeField()),
                        ("department", models.CharField(blank=True, default="", max_length=100)),
                        ("service_category", models.CharField(max_length=32)),
                        (
                            "payer",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="payers.payer",
                            ),
                        ),
                    ],
                    options={"db_table": "worklists_atriskvisit"},
                ),
                migrations.CreateModel(
                    name="RequestFact",
                    fields=[
                        (
                            "authorization",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                primary_key=True,
                                related_name="+",
                                serialize=False,
                                to="payers.authorization",
                            ),
                        ),
                        ("service_category", models.CharField(max_length=32)),
                        ("department", models.CharField(blank=True, default="", max_length=100)),
                        ("expedited", models.BooleanField()),
                        ("status", models.CharField(max_length=16)),
                        ("submitted_at", models.DateTimeField()),
                        ("submitted_on", models.DateField(help_text="Local date of submitted_at.")),
                        ("decided_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "hours",
                            models.FloatField(
                                blank=True,
                                help_text="Submission to decision, in hours (decided only).",
                                null=True,
                            ),
                        ),
                        (
                            "clock_hours",
                            models.PositiveIntegerField(help_text="The CMS-0057-F clock: 72 or 168."),
                        ),
                        ("approved_after_appeal", models.BooleanField(default=False)),
                        ("denial_reason", models.CharField(blank=True, default="", max_length=500)),
                        (
                            "denial_reason_code",
                            models.CharField(
                                blank=True,
                                default="",
                                help_text="payers.DenialReason; blank: not coded.",
                                max_length=32,
                            ),
                        ),
                        ("refreshed_at", models.DateTimeField()),
                        (
                            "payer",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="payers.payer",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "worklists_requestfact",
                        "indexes": [
                            models.Index(fields=["submitted_on"], name="worklists_fact_submitted_on"),
                            models.Index(
                                condition=models.Q(("status", "submitted")),
                                fields=["submitted_at"],
                                name="worklists_fact_pending",
                            ),
                            models.Index(
                                condition=models.Q(("status", "denied")),
                                fields=["submitted_on"],
                                name="worklists_fact_denied",
                            ),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(forwards, backwards, elidable=True),
    ]
