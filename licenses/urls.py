from django.urls import path

from . import views

app_name = "licenses"

urlpatterns = [
    path("stats/", views.stats, name="stats"),
    path("stats.csv", views.stats_csv, name="stats-csv"),
]
