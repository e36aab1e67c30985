"""Load legal-fr.md section 0's reference rates; later semesters are entered in the admin."""

from django.db import migrations


def load(apps, schema_editor):
    from dunning.interest import REFERENCE_RATES_FR

    ReferenceRate = apps.get_model("dunning", "ReferenceRate")
    for semester, rates in REFERENCE_RATES_FR.items():
        for kind, rate in rates.items():
            ReferenceRate.objects.update_or_create(
                semester=semester,
                kind=kind.value,
                defaults={"rate": rate, "source": "legal-fr.md section 0 (ECB, arrêtés)"},
            )


def unload(apps, schema_editor):
    apps.get_model("dunning", "ReferenceRate").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("dunning", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
