from django.contrib import admin, messages
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.money import format_money
from tracking.admin import TrackedAdminMixin
from tracking.forms import StatusForm
from tracking.services import can_transition

from .models import Rental, RentalVehicle
from .services import rental_status_change, rental_update, rentals_confirm


@admin.register(RentalVehicle)
class RentalVehicleAdmin(admin.ModelAdmin):
    # The name already says make and model (both stay as filter and search): without them
    # the list fits beside the admin's menu and the filters at 1280 px.
    list_display = ("name", "plate", "seats", "rate", "is_active")
    list_filter = ("is_active", "make")
    search_fields = ("name", "make", "model", "plate")

    @admin.display(description=_("Tarif / jour"), ordering="daily_rate")
    def rate(self, obj):
        return format_money(obj.daily_rate, obj.currency)


@admin.register(Rental)
class RentalAdmin(TrackedAdminMixin, admin.ModelAdmin):
    status_form_class = StatusForm
    # Number, then the status with the next action under it, then what the booking is:
    # it fits the ~630 px a 1280 px screen leaves beside the admin's menu and the filters.
    list_display = ("tracking_number", "status_column", "client", "period", "total")
    list_filter = ("status", "vehicle", "start_date")
    search_fields = (
        "tracking__number",
        "tracking__reference",
        "client_name",
        "client_email",
        "client_phone",
        "vehicle__plate",
    )
    list_select_related = ("tracking", "vehicle")
    date_hierarchy = "start_date"
    actions = ["confirm"]
    readonly_fields = (
        "public_link",
        "reference",
        "status",
        "vehicle",
        "start_date",
        "end_date",
        "days",
        "rate",
        "total",
        "created_at",
        "updated_at",
        "history_table",
    )
    fieldsets = (
        (_("Suivi"), {"fields": ("public_link", "reference", "status", "created_at", "updated_at")}),
        (
            _("Location"),
            {
                "fields": (
                    "vehicle",
                    "start_date",
                    "end_date",
                    "days",
                    "pickup_place",
                    "rate",
                    "total",
                )
            },
        ),
        (_("Client"), {"fields": ("client_name", "client_email", "client_phone")}),
        (_("Historique"), {"fields": ("history_table",)}),
    )

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("Client"), ordering="client_name")
    def client(self, obj):
        return format_html('{}<br><span class="quiet">{}</span>', obj.client_name, obj.vehicle)

    @admin.display(description=_("Dates"), ordering="start_date")
    def period(self, obj):
        # Each date stays whole; the line breaks between them on a narrow screen.
        return format_html(
            '<span class="nowrap">{} –</span> <span class="nowrap">{}</span><br><span class="quiet">{}</span>',
            date_format(obj.start_date, "SHORT_DATE_FORMAT"),
            date_format(obj.end_date, "SHORT_DATE_FORMAT"),
            ngettext("%(days)d jour", "%(days)d jours", obj.days) % {"days": obj.days},
        )

    @admin.display(description=_("tarif journalier"))
    def rate(self, obj):
        return format_money(obj.daily_rate, obj.currency)

    @admin.display(description=_("Montant"), ordering="total_amount")
    def total(self, obj):
        return format_money(obj.total_amount, obj.currency)

    @admin.action(description=_("Confirmer les locations sélectionnées (prévient le client)"), permissions=["change"])
    def confirm(self, request, queryset):
        confirmed = rentals_confirm(rentals=queryset, origin=self.origin(request))
        skipped = queryset.count() - confirmed
        if confirmed:
            self.message_user(
                request,
                ngettext("%(n)d location confirmée.", "%(n)d locations confirmées.", confirmed) % {"n": confirmed},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(n)d location ignorée : elle n'est plus en attente.",
                    "%(n)d locations ignorées : elles ne sont plus en attente.",
                    skipped,
                )
                % {"n": skipped},
                messages.WARNING,
            )

    def next_action(self, obj):
        if can_transition(obj, Rental.Status.CONFIRMEE):
            url = reverse("admin:rentals_rental_status", args=[obj.pk]) + f"?to_status={Rental.Status.CONFIRMEE}"
            return url, _("Confirmer")
        return None

    def fields_update(self, request, obj, changes):
        rental_update(rental=obj, changes=changes, origin=self.origin(request))

    def status_choices(self, obj):
        # Expiry is the hold job's (RENTAL_HOLD_HOURS); staff cancel a request instead.
        return [c for c in super().status_choices(obj) if c[0] != Rental.Status.EXPIREE]

    def status_change(self, request, obj, data):
        rental_status_change(
            rental=obj,
            to_status=data["to_status"],
            note=data["note"],
            notify=data["notify"],
            origin=self.origin(request),
        )
