from django.test import TestCase
from django.urls import reverse

from .models import Question


class IndexViewTests(TestCase):
    def test_index_counts_seeded_question(self):
        response = self.client.get(reverse("index"))
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "1 questions")

    def test_seed_migration_created_choices(self):
        question = Question.objects.get()
        self.assertEqual(question.choices.count(), 2)
