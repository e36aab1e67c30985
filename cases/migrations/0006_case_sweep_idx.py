from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0005_delete_casesequence"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(("state__in", ("reminder", "phone_followup", "formal_notice"))),
                fields=["agency", "next_action_at", "id"],
                name="case_sweep_idx",
            ),
        ),
    ]
