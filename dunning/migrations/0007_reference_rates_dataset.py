"""Load the shipped reference-rate dataset (every semester since 2019-S1, with its sources).

Idempotent: rows equal to the dataset are left alone; on a database that already holds
legal-fr.md's 2024-2026 rows it adds the earlier semesters and gives every row its source.
"""

from django.db import migrations


def load(apps, schema_editor):
    from dunning.reference_rates import load_shipped

    load_shipped(apps.get_model("dunning", "ReferenceRate"))


class Migration(migrations.Migration):
    dependencies = [("dunning", "0006_reference_rate_sources")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
