"""Superseded: 0004 loads the reference rates from dunning/data/reference_rates_fr.csv."""

from django.db import migrations


def unload(apps, schema_editor):
    apps.get_model("dunning", "ReferenceRate").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("dunning", "0001_initial")]
    operations = [migrations.RunPython(migrations.RunPython.noop, unload)]
