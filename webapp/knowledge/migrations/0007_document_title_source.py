from pathlib import PurePath

from django.db import migrations, models


def _mark_given_titles(apps, schema_editor):
    """Titles that are not their file's stem were given by an administrator: keep them."""
    Document = apps.get_model("knowledge", "Document")
    documents = Document.objects.using(schema_editor.connection.alias)  # the database migrated
    for document in documents.only("id", "title", "filename").iterator():
        if document.title != PurePath(document.filename).stem:
            documents.filter(id=document.id).update(title_source="admin")


class Migration(migrations.Migration):
    dependencies = [
        ("knowledge", "0006_search_index_backend"),
    ]

    operations = [
        migrations.AddField(
            model_name="document",
            name="title_source",
            field=models.CharField(
                choices=[
                    ("admin", "Given by an administrator"),
                    ("document", "The document's own (metadata or first heading)"),
                    ("filename", "The file name"),
                ],
                default="filename",
                max_length=10,
            ),
        ),
        migrations.RunPython(_mark_given_titles, migrations.RunPython.noop),
    ]
