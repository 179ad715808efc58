from django.contrib import admin, messages
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.templatetags.static import static
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, ngettext_lazy

from . import services
from .mail import LOGO_CID, LOGO_STATIC_PATH
from .models import OutboundMessage


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by the system: staff can look, nobody edits or deletes."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EditThroughServiceMixin:
    """An admin whose change form writes through the domain's service (locked, audited):
    only the fields the form really changed are handed to `fields_update()`, which the
    admin defines by calling its service. Rows are created elsewhere (no add page)."""

    def save_model(self, request, obj, form, change):
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        if changes:
            self.fields_update(request, obj, changes)

    def fields_update(self, request: HttpRequest, obj, changes: dict) -> None:
        raise ImproperlyConfigured(f"{type(self).__name__} must define fields_update() calling its service")


class RetryNowMixin:
    """The "Réessayer maintenant" action of a core.delivery model (outbox messages,
    webhook deliveries): rows are read-only, retrying is its own permission (the model's
    "change"), each reset row gets an admin history entry (who asked, when).

    A subclass sets `retry_permission`, `retry_done` and `retry_skipped` (ngettext_lazy
    with a "count" number), and `retry(ids)` calling its service (the ids it reset)."""

    retry_permission: str
    retry_done: str
    retry_skipped: str

    def has_retry_permission(self, request):
        return request.user.has_perm(self.retry_permission)

    @admin.action(description=_("Réessayer maintenant"), permissions=["retry"])
    def retry_now(self, request, queryset):
        reset = self.retry(list(queryset.values_list("pk", flat=True)))
        for row in queryset.model.objects.filter(pk__in=reset):
            self.log_change(request, row, "Réessayer maintenant")
        skipped = queryset.count() - len(reset)
        if reset:
            self.message_user(request, self.retry_done % {"count": len(reset)}, messages.SUCCESS)
        if skipped:
            self.message_user(request, self.retry_skipped % {"count": skipped}, messages.WARNING)


def _cut(text: str, *, chars: int, css: str = "nowrap") -> str:
    """Text cut to `chars`, the whole of it on hover."""
    return format_html('<span class="{}" title="{}">{}</span>', css, text, Truncator(text).chars(chars))


def _short_datetime(value) -> str:
    # Day, month and time: the date hierarchy above the list gives the year.
    return date_format(timezone.localtime(value), "d/m H:i")


@admin.register(OutboundMessage)
class OutboundMessageAdmin(RetryNowMixin, admin.ModelAdmin):
    # Beside the admin's menu and filters the list has about 600 px at 1280 px. With one
    # column per field it did not fit, so the table shrank to its minimum width, where
    # every cell breaks at each space: subjects became columns of single words and rows
    # ten lines tall. Three columns fit: when, the delivery (status, attempts, next
    # attempt, last error: a failed message is seen at once), and the message (channel,
    # recipient, subject or SMS text), each line of them short or cut with a tooltip.
    list_display = ("created", "delivery", "message")
    list_filter = ("status", "channel", "backend")
    search_fields = ("to", "subject", "body", "key")
    date_hierarchy = "created_at"
    fields = (
        "channel",
        "to",
        "subject",
        "body",
        "html_preview",
        "key",
        "status",
        "attempts",
        "next_attempt_at",
        "lease_until",
        "last_error",
        "created_at",
        "sent_at",
        "backend",
        "provider_id",
    )
    readonly_fields = fields
    actions = ["retry_now"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    retry_permission = "core.change_outboundmessage"
    retry_done = ngettext_lazy(
        "%(count)d message remis en file d'envoi.", "%(count)d messages remis en file d'envoi.", "count"
    )
    retry_skipped = ngettext_lazy(
        "%(count)d message ignoré (déjà envoyé ou en cours d'envoi).",
        "%(count)d messages ignorés (déjà envoyés ou en cours d'envoi).",
        "count",
    )

    def retry(self, ids: list[int]) -> list[int]:
        return services.messages_retry_now(message_ids=ids)

    @admin.display(description=_("créé le"), ordering="created_at")
    def created(self, obj):
        full = date_format(timezone.localtime(obj.created_at), "DATETIME_FORMAT")
        return format_html('<span class="nowrap" title="{}">{}</span>', full, _short_datetime(obj.created_at))

    @admin.display(description=_("envoi"), ordering="status")
    def delivery(self, obj):
        attempts = ngettext("%(count)d essai", "%(count)d essais", obj.attempts) % {"count": obj.attempts}
        lines = [format_html("<strong>{}</strong>", obj.get_status_display()), attempts]
        if obj.next_attempt_at:
            lines.append(_("prochain essai : %(at)s") % {"at": _short_datetime(obj.next_attempt_at)})
        if obj.last_error:
            lines.append(format_html('<span style="color:var(--error-fg)">{}</span>', _cut(obj.last_error, chars=28)))
        return format_html_join(mark_safe("<br>"), '<span class="nowrap">{}</span>', ((line,) for line in lines))

    @admin.display(description=_("message"), ordering="to")
    def message(self, obj):
        # The recipient says the channel (an address or a phone number); an SMS has no
        # subject, its text stands in.
        return format_html("{}<br>{}", _cut(obj.to, chars=30), _cut(obj.subject or obj.body, chars=60, css="quiet"))

    @admin.display(description=_("aperçu HTML"))
    def html_preview(self, obj):
        """The e-mail as the customer sees it, inside a sandboxed frame: no script runs,
        no form posts, no link opens from the admin's origin. The HTML goes in `srcdoc`
        as an escaped attribute, never into the admin page itself."""
        if not obj.html_body:
            return "-"
        # The logo travels inside the e-mail (cid:); in the admin it is the static file.
        html = obj.html_body.replace(f'src="cid:{LOGO_CID}"', f'src="{static(LOGO_STATIC_PATH)}"')
        return format_html(
            '<iframe sandbox="" referrerpolicy="no-referrer" srcdoc="{}" title="{}" '
            'style="display:block;width:640px;max-width:100%;height:720px;border:1px solid #dde4e1;'
            'border-radius:8px;background:#f4f6f5"></iframe>',
            html,
            _("Aperçu de l'e-mail"),
        )
