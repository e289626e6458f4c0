"""Data migration: the first poll, so a fresh deploy has something to show."""

from django.db import migrations


def seed(apps, schema_editor):
    Question = apps.get_model("polls", "Question")
    Choice = apps.get_model("polls", "Choice")
    question = Question.objects.create(text="Does the deploy work?")
    Choice.objects.bulk_create(
        [Choice(question=question, text="Yes"), Choice(question=question, text="Not yet")]
    )


def unseed(apps, schema_editor):
    apps.get_model("polls", "Question").objects.filter(text="Does the deploy work?").delete()


class Migration(migrations.Migration):
    dependencies = [("polls", "0002_choice_votes")]

    operations = [migrations.RunPython(seed, unseed)]
