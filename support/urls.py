from django.urls import path

from . import stats_views, views

app_name = "support"

urlpatterns = [
    path("contact/", views.contact, name="contact"),
    path("tracking/<str:number>/messages/", views.message_post, name="message-post"),
    path("tracking/<str:number>/messages/fil/", views.thread, name="thread"),
    path("tracking/<str:number>/pieces/<int:attachment_id>/", views.public_attachment_view, name="public-attachment"),
    path("support/pieces/<int:attachment_id>/", views.staff_attachment, name="staff-attachment"),
    path("support/stats/", stats_views.stats_page, name="stats"),
    path("support/stats/export.csv", stats_views.stats_csv, name="stats-csv"),
]
