from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.utils.translation import gettext_lazy as _

from core import views as core_views
from leads.api import api as leads_api
from licenses.api import api as licenses_api
from licenses.api import validate_hot_path
from notifications.api import api as notifications_api
from support.api import api as tickets_api
from tracking import views as tracking_views
from tracking.api import CANONICAL_NUMBER, track_hot_path
from tracking.api import api as tracking_api

admin.site.site_header = f"{settings.PLATFORM_NAME} · Administration"
admin.site.site_title = settings.PLATFORM_NAME
admin.site.index_title = _("Tableau de bord")

urlpatterns = [
    # The two hottest API routes first (core.api.hot_path): the rest of each API, and any
    # request they do not recognise, go through django-ninja as before.
    path("api/v1/licenses/validate", validate_hot_path),
    re_path(rf"^api/tracking/(?P<number>{CANONICAL_NUMBER})$", track_hot_path),
    path("", tracking_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path(settings.ADMIN_URL, admin.site.urls),
    path("api/tracking/", tracking_api.urls),
    # A revision's photos and videos, under its tracking page (/tracking/<NUMBER>/medias/<id>/).
    path("tracking/", include("revisions.media_urls")),
    path("tracking/", include("tracking.urls")),
    # /contact/, the conversation on every /tracking/<number>/ page, /support/...
    path("", include("support.urls")),
    path("revisions/", include("revisions.urls")),
    path("locations/", include("rentals.urls")),
    path("api/v1/", licenses_api.urls),
    path("licenses/", include("licenses.urls")),
    path("leads/", include("leads.urls")),
    path("api/leads/", leads_api.urls),  # before "api/": docs at /api/leads/docs
    path("compte/", include("accounts.urls")),
    path("notifications/", include("notifications.urls")),
    path("api/tickets/", tickets_api.urls),  # before "api/": docs at /api/tickets/docs
    path("api/", notifications_api.urls),  # /api/notifications (its routes name the prefix)
    # Payment providers' callbacks (signed; no session, no CSRF token).
    path("api/webhooks/", include("payments.urls")),
]

handler403 = "core.views.permission_denied"
handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"
