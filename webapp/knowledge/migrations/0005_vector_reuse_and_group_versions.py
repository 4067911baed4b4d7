from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("knowledge", "0004_search_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="document",
            name="embedding_key",
            field=models.CharField(blank=True, db_index=True, max_length=64),
        ),
        migrations.AddField(
            model_name="document",
            name="vectors_reused_from",
            field=models.IntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="collection",
            name="groups_version",
            field=models.IntegerField(default=0),
        ),
        migrations.AddField(
            model_name="collection",
            name="groups_applied_version",
            field=models.IntegerField(default=0),
        ),
        migrations.AddField(
            model_name="collection",
            name="groups_changed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
