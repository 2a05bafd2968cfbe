from django.db import migrations, models

DEMO_SLUGS = ("demo-brussels-builders", "demo-international-agency")
"""The organisations `passerelle demo-data` made before the flag existed (matching/demo.py)."""


def flag_demo_organisations(apps, schema_editor):
    Organisation = apps.get_model("directory", "Organisation")
    Organisation.objects.filter(slug__in=DEMO_SLUGS, origin="user").update(is_demo=True)


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0003_ordering_options"),
    ]

    operations = [
        migrations.AddField(
            model_name="organisation",
            name="is_demo",
            field=models.BooleanField(
                default=False,
                help_text=(
                    "A synthetic organisation made for the demonstration: never listed in the "
                    "public directory, the HSDS API or the recipients of a consent."
                ),
            ),
        ),
        migrations.RunPython(flag_demo_organisations, migrations.RunPython.noop),
    ]
