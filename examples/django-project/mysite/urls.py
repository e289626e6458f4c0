from django.contrib import admin
from django.urls import path

from polls import views

urlpatterns = [
    path("", views.index, name="index"),
    path("boom/", views.boom, name="boom"),
    path("admin/", admin.site.urls),
]
