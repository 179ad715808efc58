from django.contrib import admin, messages
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
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


class EventStatusFilter(admin.SimpleListFilter):
    """The statuses of every service by their labels ("Devis envoyé"), not their codes; a
    code two services share shows both labels ("Reçu / Reçue")."""

    title = _("statut")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        labels: dict[str, list[str]] = {}
        for service in registry.all_services():
            for value, label in service.status_choices.choices:
                if str(label) not in labels.setdefault(value, []):
                    labels[value].append(str(label))
        return sorted(((value, " / ".join(names)) for value, names in labels.items()), key=lambda c: c[1])

    def queryset(self, request, queryset):
        return queryset.filter(status=self.value()) if self.value() else queryset


@admin.register(TrackingEvent)
class TrackingEventAdmin(ReadOnlyAdmin):
    # Short cells (the date without seconds, who and from where in one) so that the list
    # fits beside the admin's menu and the filters at 1280 px.
    list_display = ("when", "item", "transition", "internal_flag", "by")
    list_filter = ("item__service", EventStatusFilter, "internal")
    search_fields = ("item__number", "item__reference", "note", "ip")
    list_select_related = ("item", "actor")
    date_hierarchy = "at"
    # The note as the reader's language renders it (amounts as "150 000 FCFA"), rather
    # than its stored key and JSON parameters.
    fields = ("at", "item", "from_label", "status_label", "note_display", "internal", "actor", "ip", "user_agent")
    readonly_fields = fields

    def _label(self, obj, status: str) -> str:
        # "Devis envoyé", not "devis_envoye": each service names its own statuses.
        service = registry.get(obj.item.service)
        return service.status_label(status) if service and status else status or "-"

    @admin.display(description=_("ancien statut"), ordering="from_status")
    def from_label(self, obj):
        return self._label(obj, obj.from_status)

    @admin.display(description=_("statut"), ordering="status")
    def status_label(self, obj):
        return self._label(obj, obj.status)

    @admin.display(description=_("statut"), ordering="status")
    def transition(self, obj):
        # "Reçu → Devis envoyé"; an edit that keeps the status shows it once.
        if obj.from_status and obj.from_status != obj.status:
            return f"{self._label(obj, obj.from_status)} → {self._label(obj, obj.status)}"
        return self._label(obj, obj.status)

    @admin.display(description=_("Note"))
    def note_display(self, obj):
        return event_note(obj)

    @admin.display(description=_("date"), ordering="at")
    def when(self, obj):
        local = timezone.localtime(obj.at)
        full, short = date_format(local, "DATETIME_FORMAT"), date_format(local, "SHORT_DATETIME_FORMAT")
        return format_html('<span class="nowrap" title="{}">{}</span>', full, short)

    @admin.display(description=_("interne"), boolean=True, ordering="internal")
    def internal_flag(self, obj):
        return obj.internal

    @admin.display(description=_("par"), ordering="actor")
    def by(self, obj):
        who = obj.actor or _("client / système")
        return format_html('{}<br><span class="quiet">{}</span>', who, obj.ip) if obj.ip else who


class TrackedAdminMixin(EditThroughServiceMixin):
    """Shared admin pieces for a tracked service: number and reference columns, the
    history table, and a "change status" page limited to the allowed transitions.

    Subclasses implement `status_change(request, obj, form_data)` and
    `fields_update(request, obj, changes)` calling their services: the change form
    never saves a tracked request directly, so every edit leaves an audit row.
    """

    status_form_class = None
    change_form_template = "admin/tracking/change_form.html"
    # Django's "Voir sur le site" would lead to the same public page as our "Voir le
    # suivi public" tool: one link, named for what it opens.
    view_on_site = False

    @admin.display(description=_("N° de suivi"), ordering="tracking__number")
    def tracking_number(self, obj):
        # "REV-2026-K7Q4-M9XD" would otherwise break at each dash, four lines in a narrow column.
        return format_html('<span class="nowrap">{}</span>', obj.tracking.number)

    @admin.display(description=_("Référence"), ordering="tracking__reference")
    def reference(self, obj):
        return obj.tracking.reference

    def next_action(self, obj) -> tuple[str, str] | None:
        """The (url, label) of what staff do next on this request ("Valider le devis",
        "Confirmer"), or None: a button under the status in the list, the first object tool."""
        return None

    @admin.display(description=_("Statut"), ordering="status")
    def status_column(self, obj):
        # The next action sits under the status rather than in a column of its own: the
        # table must fit beside the admin's menu and the filters without a scroll.
        action = self.next_action(obj)
        if action is None:
            return obj.get_status_display()
        url, label = action
        return format_html(
            '{}<br><a class="button nowrap next-action" href="{}">{}</a>', obj.get_status_display(), url, label
        )

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
                    # In the site's time zone (TIME_ZONE) and the reader's date format, like
                    # every other date in the admin.
                    date_format(timezone.localtime(e.at), "SHORT_DATETIME_FORMAT"),
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
        """Links shown above the change form: the next action first."""
        opts = obj._meta
        action = self.next_action(obj)
        return [
            *([action] if action else []),
            (reverse(f"admin:{opts.app_label}_{opts.model_name}_status", args=[obj.pk]), _("Changer le statut")),
            (reverse("tracking:detail", args=[obj.tracking.number]), _("Voir le suivi public")),
        ]

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

    def has_delete_permission(self, request, obj=None):
        # A request is the customer's record and its history the audit trail (the number
        # stays valid on their side): staff cancel it through its status, never delete it.
        return False

    def status_choices(self, obj):
        service = registry.for_model(type(obj))
        allowed = service.transitions.get(obj.status, frozenset())
        return [(value, label) for value, label in service.status_choices.choices if value in allowed]

    def status_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        obj = self._object_for_change(request, object_id)
        # ?to_status= preselects a status (e.g. the "Confirmer" button of a rental).
        choices = self.status_choices(obj)
        form = self.status_form_class(
            request.POST or None,
            choices=choices,
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
            "allowed": bool(choices),
            "current_status": obj.get_status_display(),
            "readonly_rows": [(_("Statut actuel"), obj.get_status_display())],
        }
        return TemplateResponse(request, "admin/tracking/status_change.html", context)

    def status_change(self, request: HttpRequest, obj, data: dict) -> None:
        """Apply the change through the service's own function (each service defines one)."""
        raise ImproperlyConfigured(f"{type(self).__name__} must define status_change() calling its service")

    def origin(self, request: HttpRequest) -> Origin:
        return Origin.from_request(request)
