"""Products: the applications licenses are sold for."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from ..models import Product
from .common import URL_OVERRIDES


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "is_active", "trial_days", "license_count", "created_at")
    list_filter = ("is_active",)
    search_fields = ("slug", "name")
    prepopulated_fields = {"slug": ("name",)}
    formfield_overrides = URL_OVERRIDES
    readonly_fields = ("created_at",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(license_count=Count("licenses"))

    def get_readonly_fields(self, request, obj=None):
        # The slug is in every signed key already issued: it cannot change afterwards.
        return (*self.readonly_fields, "slug") if obj else self.readonly_fields

    def get_prepopulated_fields(self, request, obj=None):
        return {} if obj else self.prepopulated_fields

    @admin.display(description=_("Licences"), ordering="license_count")
    def license_count(self, obj):
        return obj.license_count
