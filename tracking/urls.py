from django.urls import path
from django.views.decorators.cache import cache_control

from . import views

app_name = "tracking"

# A tracking page shows one customer's request: no shared cache (proxy, CDN) may keep
# it and the browser must not store it on disk (a shared or borrowed computer).
private = cache_control(private=True, no_store=True)

urlpatterns = [
    path("", private(views.lookup), name="lookup"),
    path("<str:number>/", private(views.detail), name="detail"),
    path("<str:number>/confirmation/", private(views.confirmation), name="confirmation"),
]
