from django.shortcuts import render

from .models import Product


def product_list(request):
    products = Product.objects.select_related("category").order_by("name")
    return render(request, "store/product_list.html", {"products": products})
