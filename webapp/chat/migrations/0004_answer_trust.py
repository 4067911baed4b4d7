"""Abstention, the notice shown beside an answer, and how its sentences are backed."""

from django.db import migrations, models


def extractive_notice(apps, schema_editor):
    """Answers quoted before the notice existed get it (their backend said so)."""
    Message = apps.get_model("chat", "Message")
    messages = Message.objects.using(schema_editor.connection.alias)  # the database migrated
    messages.filter(role="assistant", backend="extractive").exclude(text="").update(
        notice="extractive"
    )


class Migration(migrations.Migration):
    dependencies = [("chat", "0003_model_defaults")]

    operations = [
        migrations.AddField(
            model_name="message", name="abstained", field=models.BooleanField(default=False)
        ),
        migrations.AddField(
            model_name="message",
            name="notice",
            field=models.CharField(blank=True, max_length=40),
        ),
        migrations.AddField(
            model_name="message",
            name="sentences_cited",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="message",
            name="sentences_attributed",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="message",
            name="sentences_unsupported",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.RunPython(extractive_notice, migrations.RunPython.noop),
    ]
