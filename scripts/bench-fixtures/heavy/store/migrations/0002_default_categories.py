from django.db import migrations

CATEGORIES = [("Books", "books"), ("Games", "games"), ("Music", "music")]


def add_categories(apps, schema_editor):
    Category = apps.get_model("store", "Category")
    for name, slug in CATEGORIES:
        Category.objects.get_or_create(slug=slug, defaults={"name": name})


def remove_categories(apps, schema_editor):
    apps.get_model("store", "Category").objects.filter(
        slug__in=[slug for _, slug in CATEGORIES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("store", "0001_initial")]
    operations = [migrations.RunPython(add_categories, remove_categories)]
