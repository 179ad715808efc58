from django.urls import path

from . import views

app_name = "tracking"

urlpatterns = [
    path("", views.lookup, name="lookup"),
    path("<str:number>/", views.detail, name="detail"),
    path("<str:number>/confirmation/", views.confirmation, name="confirmation"),
]
