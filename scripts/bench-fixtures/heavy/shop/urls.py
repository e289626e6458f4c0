from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import path

from store.sitemaps import ProductSitemap
from store.views import product_list

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", product_list, name="product-list"),
    path("sitemap.xml", sitemap, {"sitemaps": {"products": ProductSitemap}}),
]
