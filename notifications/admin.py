from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin

from . import roles
from .errors import NotificationError
from .models import Broadcast, Notification
from .services import check_link, notifications_broadcast


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "user", "kind", "text", "read_at")
    list_filter = ("kind", ("read_at", admin.EmptyFieldListFilter), "created_at")
    list_select_related = ("user",)
    search_fields = ("text", "user__username", "user__email", "key")
    date_hierarchy = "created_at"


class BroadcastForm(forms.ModelForm):
    role = forms.ChoiceField(label=_("Destinataires"), choices=roles.choices)

    class Meta:
        model = Broadcast
        fields = ("role", "text", "link")
        help_texts = {"link": _("Facultatif : un chemin de ce site, par exemple /leads/merchant/.")}

    def clean_link(self):
        try:
            return check_link(self.cleaned_data.get("link", ""))
        except NotificationError as exc:
            raise forms.ValidationError(exc.message) from None


@admin.register(Broadcast)
class BroadcastAdmin(admin.ModelAdmin):
    """Staff send a message to every user of a role; a sent broadcast is not edited."""

    form = BroadcastForm
    list_display = ("created_at", "role_label", "text", "recipients", "created_by")
    list_select_related = ("created_by",)
    search_fields = ("text",)
    readonly_fields = ("role", "text", "link", "created_by", "created_at", "recipients")

    @admin.display(description=_("destinataires"), ordering="role")
    def role_label(self, obj):
        role = roles.get(obj.role)
        return role.label if role else obj.role

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else ()

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # The service creates the broadcast and its notifications; the admin then logs it.
        sent = notifications_broadcast(role=form.cleaned_data["role"], text=obj.text, link=obj.link, actor=request.user)
        obj.pk, obj.created_at, obj.created_by, obj.recipients = (
            sent.pk,
            sent.created_at,
            sent.created_by,
            sent.recipients,
        )
        obj._state.adding = False
