from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.money import format_money
from tracking.admin import TrackedAdminMixin
from tracking.forms import StatusForm

from .models import Rental, RentalVehicle
from .services import rental_status_change


@admin.register(RentalVehicle)
class RentalVehicleAdmin(admin.ModelAdmin):
    list_display = ("name", "make", "model", "plate", "seats", "rate", "is_active")
    list_filter = ("is_active", "make")
    search_fields = ("name", "make", "model", "plate")

    @admin.display(description=_("Tarif / jour"), ordering="daily_rate")
    def rate(self, obj):
        return format_money(obj.daily_rate, obj.currency)


@admin.register(Rental)
class RentalAdmin(TrackedAdminMixin, admin.ModelAdmin):
    status_form_class = StatusForm
    list_display = ("tracking_number", "client_name", "vehicle", "start_date", "end_date", "days", "total", "status")
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
    readonly_fields = (
        "public_link",
        "reference",
        "status",
        "vehicle",
        "start_date",
        "end_date",
        "days",
        "daily_rate",
        "total_amount",
        "currency",
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
                    "daily_rate",
                    "total_amount",
                    "currency",
                )
            },
        ),
        (_("Client"), {"fields": ("client_name", "client_email", "client_phone")}),
        (_("Historique"), {"fields": ("history_table",)}),
    )

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("Montant"), ordering="total_amount")
    def total(self, obj):
        return format_money(obj.total_amount, obj.currency)

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
