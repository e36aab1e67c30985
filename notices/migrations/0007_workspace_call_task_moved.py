from django.db import migrations


class Migration(migrations.Migration):
    """Call tasks now live in the debtors app with the contact log; its 0003 took the table."""

    dependencies = [
        ('notices', '0006_backoffice_template_versions'),
        ('debtors', '0003_workspace_contact_log'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name='CallTask')]),
    ]
