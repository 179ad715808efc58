from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("", views.notifications, name="list"),
    path("badge/", views.badge, name="badge"),
    path("tout-lu/", views.mark_all_read, name="mark_all_read"),
    path("<int:notification_id>/ouvrir/", views.open_notification, name="open"),
]
