from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("knowledge", "0002_document_allowed_groups"),
    ]

    operations = [
        migrations.AddField(
            model_name="document",
            name="source_path",
            field=models.CharField(blank=True, db_index=True, max_length=1000),
        ),
        migrations.AddField(
            model_name="document",
            name="source_mtime_ns",
            field=models.BigIntegerField(default=0),
        ),
        migrations.AlterField(
            model_name="document",
            name="source",
            field=models.CharField(
                choices=[
                    ("upload", "Upload"),
                    ("cli", "Command line"),
                    ("api", "API"),
                    ("sync", "Folder sync"),
                ],
                default="upload",
                max_length=20,
            ),
        ),
    ]
