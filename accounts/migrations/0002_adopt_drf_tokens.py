"""DRF's tokens (rest_framework.authtoken, keys stored in clear) become hashed APITokens,
so integrators keep their keys; then the old table and its migration records go.

On a database that never had DRF's tokens there is nothing to do. A legacy token expires
AUTHQ_API_TOKEN_DAYS after this migration. Cannot be undone (the keys are gone)."""

import datetime as dt
import hashlib

from django.conf import settings
from django.db import migrations
from django.utils import timezone

LEGACY_TABLE = "authtoken_token"


def adopt_drf_tokens(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if LEGACY_TABLE not in connection.introspection.table_names(cursor):
            return
        cursor.execute(f"SELECT key, user_id, created FROM {LEGACY_TABLE}")
        rows = cursor.fetchall()
    APIToken = apps.get_model("accounts", "APIToken")
    now = timezone.now()
    expires = now + dt.timedelta(days=getattr(settings, "AUTHQ_API_TOKEN_DAYS", 90))
    APIToken.objects.bulk_create(
        APIToken(
            user_id=user_id,
            prefix=key[:8],
            digest=hashlib.sha256(key.encode()).hexdigest(),
            created=min(created, now),
            expires=expires,
        )
        for key, user_id, created in rows
    )
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {LEGACY_TABLE}")
        cursor.execute("DELETE FROM django_migrations WHERE app = 'authtoken'")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_api_tokens")]

    operations = [migrations.RunPython(adopt_drf_tokens, migrations.RunPython.noop)]
