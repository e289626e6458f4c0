"""Data migration: the categories every shop starts with."""

from django.db import migrations

DEFAULT_CATEGORIES = ["Books", "Music", "Games"]


def create_categories(apps, schema_editor):
    Category = apps.get_model("catalog", "Category")
    for name in DEFAULT_CATEGORIES:
        Category.objects.get_or_create(name=name)


def delete_categories(apps, schema_editor):
    apps.get_model("catalog", "Category").objects.filter(name__in=DEFAULT_CATEGORIES).delete()


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_product")]

    operations = [migrations.RunPython(create_categories, delete_categories)]
