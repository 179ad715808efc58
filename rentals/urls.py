from django.urls import path

from . import views

app_name = "rentals"

urlpatterns = [path("", views.request_form, name="request")]
