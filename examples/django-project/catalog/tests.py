from django.test import TestCase

from .models import Category


class DefaultCategoryTests(TestCase):
    def test_data_migration_created_default_categories(self):
        names = set(Category.objects.values_list("name", flat=True))
        self.assertEqual(names, {"Books", "Music", "Games"})
