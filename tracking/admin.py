from django.contrib import admin, messages
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from core.admin import EditThroughServiceMixin, ReadOnlyAdmin
from core.origin import Origin

from . import registry
from .models import TrackedItem, TrackingEvent
from .notes import event_note
from .services import TransitionError


@admin.register(TrackedItem)
class TrackedItemAdmin(admin.ModelAdmin):
    list_display = ("number", "service", "reference", "created_at")
    list_filter = ("service",)
    search_fields = ("number", "reference")
    readonly_fields = ("number", "service", "reference", "created_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(TrackingEvent)
class TrackingEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "item", "from_status", "status", "internal", "actor", "ip")
    list_filter = ("item__service", "status", "internal")
    search_fields = ("item__number", "item__reference", "note", "ip")
    list_select_related = ("item", "actor")
    date_hierarchy = "at"
    readonly_fields = [f.name for f in TrackingEvent._meta.fields]


class TrackedAdminMixin(EditThroughServiceMixin):
    """Shared admin pieces for a tracked service: number and reference columns, the
    history table, and a "change status" page limited to the allowed transitions.

    Subclasses implement `status_change(request, obj, form_data)` and
    `fields_update(request, obj, changes)` calling their services: the change form
    never saves a tracked request directly, so every edit leaves an audit row.
    """

    status_form_class = None
    change_form_template = "admin/tracking/change_form.html"

    @admin.display(description=_("N° de suivi"), ordering="tracking__number")
    def tracking_number(self, obj):
        return obj.tracking.number

    @admin.display(description=_("Référence"), ordering="tracking__reference")
    def reference(self, obj):
        return obj.tracking.reference

    @admin.display(description=_("Historique"))
    def history_table(self, obj):
        if obj is None or not obj.pk:
            return "-"
        service = registry.for_model(type(obj))
        events = TrackingEvent.objects.filter(item_id=obj.tracking_id).select_related("actor").order_by("at", "pk")
        rows = format_html_join(
            "",
            '<tr><td class="nowrap">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>',
            (
                (
                    # In the site's time zone (TIME_ZONE), like every other date in the admin.
                    timezone.localtime(e.at).strftime("%d/%m/%Y %H:%M"),
                    service.status_label(e.status),
                    f"[{_('interne')}] {event_note(e)}" if e.internal else event_note(e),
                    e.actor or _("client / système"),
                    e.ip or "",
                )
                for e in events
            ),
        )
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            _("Date"),
            _("Statut"),
            _("Note"),
            _("Par"),
            _("IP"),
            rows,
        )

    @admin.display(description=_("Suivi public"))
    def public_link(self, obj):
        if obj is None or not obj.pk:
            return "-"
        url = reverse("tracking:detail", args=[obj.tracking.number])
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, obj.tracking.number)

    def object_tools(self, obj) -> list[tuple[str, str]]:
        """Links shown above the change form; subclasses add their own actions."""
        opts = obj._meta
        tools = [(reverse(f"admin:{opts.app_label}_{opts.model_name}_status", args=[obj.pk]), _("Changer le statut"))]
        tools.append((reverse("tracking:detail", args=[obj.tracking.number]), _("Voir le suivi public")))
        return tools

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        extra_context = {**(extra_context or {}), "tracked_tools": self.object_tools(obj) if obj else []}
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        opts = self.model._meta
        return [
            path(
                "<int:object_id>/statut/",
                self.admin_site.admin_view(self.status_view),
                name=f"{opts.app_label}_{opts.model_name}_status",
            ),
            *super().get_urls(),
        ]

    def _object_for_change(self, request: HttpRequest, object_id: int):
        obj = get_object_or_404(self.model.objects.select_related("tracking"), pk=object_id)
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        return obj

    def status_choices(self, obj):
        service = registry.for_model(type(obj))
        allowed = service.transitions.get(obj.status, frozenset())
        return [(value, label) for value, label in service.status_choices.choices if value in allowed]

    def status_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        obj = self._object_for_change(request, object_id)
        # ?to_status= preselects a status (e.g. the "Confirmer" button of a rental).
        form = self.status_form_class(
            request.POST or None,
            choices=self.status_choices(obj),
            initial={"to_status": request.GET.get("to_status", "")},
        )
        if request.method == "POST" and form.is_valid():
            try:
                self.status_change(request, obj, form.cleaned_data)
            except (TransitionError, ValidationError) as exc:
                form.add_error(None, exc.messages if isinstance(exc, ValidationError) else exc.message)
            else:
                self.message_user(request, _("Statut mis à jour."), messages.SUCCESS)
                return redirect(reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": obj,
            "title": _("Changer le statut de %(number)s") % {"number": obj.tracking.number},
            "form": form,
            "current_status": obj.get_status_display(),
        }
        return TemplateResponse(request, "admin/tracking/status_change.html", context)

    def status_change(self, request: HttpRequest, obj, data: dict) -> None:
        """Apply the change through the service's own function (each service defines one)."""
        raise ImproperlyConfigured(f"{type(self).__name__} must define status_change() calling its service")

    def origin(self, request: HttpRequest) -> Origin:
        return Origin.from_request(request)
