from django.http import HttpResponse

from catalog.models import Category

from .models import Question


def index(request):
    return HttpResponse(
        "<!doctype html><title>mysite</title>"
        "<h1>It works</h1><p>%d questions, %d categories</p>"
        % (Question.objects.count(), Category.objects.count())
    )


def boom(request):
    raise RuntimeError("boom: this view fails on purpose (smoke tests expect a 500)")
