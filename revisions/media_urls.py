"""The photos and videos of a revision, under its tracking page's address
(/tracking/<NUMBER>/medias/<id>/): included from config.urls beside tracking's own
URLs, so that tracking knows nothing of revisions."""

from django.urls import path

from . import views

app_name = "revision-media"

urlpatterns = [
    path("<str:number>/medias/<int:media_id>/", views.media_file, name="file"),
    path("<str:number>/medias/<int:media_id>/miniature/", views.media_file, {"thumbnail": True}, name="thumbnail"),
]
