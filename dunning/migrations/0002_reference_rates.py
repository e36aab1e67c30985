"""Load legal-fr.md section 0's reference rates; later semesters are entered in the admin."""

from django.db import migrations


def load(apps, schema_editor):
    from law.interest import load_reference_rates

    load_reference_rates(apps.get_model("dunning", "ReferenceRate"))


def unload(apps, schema_editor):
    apps.get_model("dunning", "ReferenceRate").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("dunning", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
