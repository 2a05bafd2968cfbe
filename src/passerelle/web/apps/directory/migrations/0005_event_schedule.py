from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0004_organisation_is_demo"),
    ]

    operations = [
        migrations.AddField(
            model_name="event",
            name="schedule",
            field=models.JSONField(
                blank=True,
                help_text="The days it is held (knowledge EventSchedule), assumed or sourced.",
                null=True,
            ),
        ),
    ]
