from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("knowledge", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="document",
            name="allowed_groups",
            field=models.ManyToManyField(blank=True, related_name="documents", to="auth.group"),
        ),
    ]
