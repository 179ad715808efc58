from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.money import format_money
from core.uploads import UploadRefused
from tracking.admin import TrackedAdminMixin
from tracking.forms import StatusForm
from tracking.services import TransitionError, can_transition

from .forms import MediaUploadForm, QuoteForm
from .models import Revision, RevisionMedia
from .services import (
    revision_media_add,
    revision_media_delete,
    revision_media_update,
    revision_quote_send,
    revision_status_change,
    revision_update,
)


class RevisionMediaInline(admin.TabularInline):
    """The revision's photos and videos on its change page: label and caption can be
    corrected, a row deleted (both through the services, see RevisionAdmin.save_formset);
    files are added on their own page (RevisionAdmin.media_view), never by this form."""

    model = RevisionMedia
    template = "admin/revisions/revision/media_inline.html"
    fields = ("preview", "label", "caption", "details", "added")
    readonly_fields = ("preview", "details", "added")
    extra = 0
    max_num = 0  # no empty rows: adding goes through the upload page
    can_delete = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("revision__tracking", "uploaded_by")

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("Aperçu"))
    def preview(self, obj):
        number = obj.revision.tracking.number
        url = reverse("revision-media:file", args=[number, obj.pk])
        if obj.thumbnail:
            thumbnail = reverse("revision-media:thumbnail", args=[number, obj.pk])
            return format_html(
                '<a href="{}" target="_blank" rel="noopener"><img src="{}" alt="{}" '
                'style="width:120px;height:90px;object-fit:cover;border-radius:4px;display:block"></a>',
                url,
                thumbnail,
                obj.caption or obj.get_label_display(),
            )
        return format_html('<a href="{}" target="_blank" rel="noopener">▶ {}</a>', url, obj.get_kind_display())

    @admin.display(description=_("Fichier"))
    def details(self, obj):
        size = filesizeformat(obj.size)
        if obj.width:
            return format_html('<span class="nowrap">{} × {} px</span><br>{}', obj.width, obj.height, size)
        return format_html("{}<br>{}", obj.content_type, size)

    @admin.display(description=_("Ajouté"))
    def added(self, obj):
        when = date_format(timezone.localtime(obj.created_at), "SHORT_DATETIME_FORMAT")
        return format_html('<span class="nowrap">{}</span><br>{}', when, obj.uploaded_by or "-")


@admin.register(Revision)
class RevisionAdmin(TrackedAdminMixin, admin.ModelAdmin):
    status_form_class = StatusForm
    # Number, then the status with the next action under it: beside the admin's menu and
    # the filters a 1280 px screen leaves about 630 px to the table, which must fit there.
    list_display = ("tracking_number", "status_column", "client", "problem", "price")
    list_filter = ("status", "vehicle_make", "created_at", "quote_sent_at")
    search_fields = (
        "tracking__number",
        "tracking__reference",
        "client_name",
        "client_email",
        "client_phone",
        "vehicle_plate",
        "vehicle_make",
        "vehicle_model",
    )
    list_select_related = ("tracking",)
    date_hierarchy = "created_at"
    inlines = [RevisionMediaInline]
    readonly_fields = (
        "public_link",
        "reference",
        "status",
        "diagnostic",
        "planned_interventions",
        "needed_parts",
        "quote",
        "diagnostic_at",
        "quote_sent_at",
        "quote_decided_at",
        "created_at",
        "updated_at",
        "history_table",
    )
    fieldsets = (
        (_("Suivi"), {"fields": ("public_link", "reference", "status", "created_at", "updated_at")}),
        (_("Client"), {"fields": ("client_name", "client_email", "client_phone")}),
        (_("Véhicule"), {"fields": ("vehicle_make", "vehicle_model", "vehicle_year", "vehicle_plate", "mileage")}),
        (_("Demande"), {"fields": ("problem_description", "preferred_date")}),
        (
            _("Diagnostic et devis"),
            {
                "fields": (
                    "diagnostic",
                    "planned_interventions",
                    "needed_parts",
                    "quote",
                    "diagnostic_at",
                    "quote_sent_at",
                    "quote_decided_at",
                )
            },
        ),
        (_("Historique"), {"fields": ("history_table",)}),
    )

    def has_add_permission(self, request):
        # Requests come from the public form, which allocates the tracking number.
        return False

    @admin.display(description=_("Client"), ordering="client_name")
    def client(self, obj):
        # The vehicle under the name: one column less, and it is what the customer came with.
        return format_html('{}<br><span class="quiet">{}</span>', obj.client_name, obj.vehicle_label)

    @admin.display(description=_("Problème"))
    def problem(self, obj):
        # The full text is on the change form, and on hover.
        text = obj.problem_description
        return format_html('<span title="{}">{}</span>', text, Truncator(text).chars(40))

    @admin.display(description=_("Prix"), ordering="quote_amount")
    def price(self, obj):
        return format_money(obj.quote_amount, obj.quote_currency) if obj.quote_amount is not None else "-"

    @admin.display(description=_("montant du devis"))
    def quote(self, obj):
        return self.price(obj)

    def next_action(self, obj):
        if can_transition(obj, Revision.Status.DEVIS_ENVOYE):
            return reverse("admin:revisions_revision_quote", args=[obj.pk]), _("Valider le devis")
        return None

    def get_urls(self):
        return [
            path(
                "<int:object_id>/devis/",
                self.admin_site.admin_view(self.quote_view),
                name="revisions_revision_quote",
            ),
            path(
                "<int:object_id>/medias/",
                self.admin_site.admin_view(self.media_view),
                name="revisions_revision_media",
            ),
            *super().get_urls(),
        ]

    def object_tools(self, obj):
        tools = super().object_tools(obj)
        return [*tools, (reverse("admin:revisions_revision_media", args=[obj.pk]), _("Ajouter des photos/vidéos"))]

    def media_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """Upload one or several photos and videos at once, each through
        revision_media_add (checked by content, photos re-encoded); each refused file is
        named with its reason, the accepted ones are kept."""
        revision = self._object_for_change(request, object_id)
        if not request.user.has_perm("revisions.add_revisionmedia"):
            raise PermissionDenied
        form = MediaUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            data, added, refused = form.cleaned_data, 0, []
            for upload in data["files"]:
                try:
                    revision_media_add(
                        revision=revision,
                        file=upload,
                        label=data["label"],
                        caption=data["caption"],
                        origin=self.origin(request),
                    )
                except UploadRefused as exc:
                    refused.append(_("%(name)s : %(reason)s") % {"name": upload.name, "reason": exc.message})
                except ValidationError as exc:
                    refused.append(_("%(name)s : %(reason)s") % {"name": upload.name, "reason": " ".join(exc.messages)})
                else:
                    added += 1
            if added:
                done = ngettext("%(count)d fichier ajouté.", "%(count)d fichiers ajoutés.", added) % {"count": added}
                self.message_user(request, done, messages.SUCCESS)
                for reason in refused:
                    self.message_user(request, reason, messages.ERROR)
                change = reverse("admin:revisions_revision_change", args=[revision.pk])
                return redirect(f"{change}#media-group")
            for reason in refused:
                form.add_error("files", reason)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": revision,
            "title": _("Photos et vidéos · %(number)s") % {"number": revision.tracking.number},
            "form": form,
            "media_count": revision.media.count(),
        }
        status = 400 if request.method == "POST" else 200
        return TemplateResponse(request, "admin/revisions/revision/media_upload.html", context, status=status)

    def save_formset(self, request, form, formset, change):
        if formset.model is not RevisionMedia:
            return super().save_formset(request, form, formset, change)
        # Photos and videos change through their services (audited, files removed, the
        # public page refreshed), never by the formset's own save().
        origin = self.origin(request)
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for media_form in formset.initial_forms:
            media = media_form.instance
            if media_form in formset.deleted_forms:
                revision_media_delete(media=media, origin=origin)
                formset.deleted_objects.append(media)
            elif media_form.has_changed():
                revision_media_update(
                    media=media,
                    label=media_form.cleaned_data["label"],
                    caption=media_form.cleaned_data["caption"],
                    origin=origin,
                )
                formset.changed_objects.append((media, media_form.changed_data))
        return None

    def quote_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        revision = self._object_for_change(request, object_id)
        form = QuoteForm.for_revision(revision, data=request.POST or None)
        allowed = can_transition(revision, Revision.Status.DEVIS_ENVOYE)
        if request.method == "POST" and allowed and form.is_valid():
            data = form.cleaned_data
            try:
                revision_quote_send(
                    revision=revision,
                    diagnostic=data["diagnostic"],
                    amount=data["amount"],
                    currency=data["currency"],
                    interventions=data["interventions"],
                    parts=data["parts"],
                    notify=data["notify"],
                    origin=self.origin(request),
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            except TransitionError as exc:
                form.add_error(None, exc.message)
            else:
                done = _("Devis envoyé au client.") if data["notify"] else _("Devis enregistré (client non notifié).")
                self.message_user(request, done, messages.SUCCESS)
                return redirect("admin:revisions_revision_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": revision,
            "revision": revision,
            "title": _("Valider le devis · %(number)s") % {"number": revision.tracking.number},
            "form": form,
            "allowed": allowed,
        }
        status = 400 if request.method == "POST" else 200
        return TemplateResponse(request, "admin/revisions/revision/quote.html", context, status=status)

    def status_change(self, request, obj, data):
        revision_status_change(
            revision=obj,
            to_status=data["to_status"],
            note=data["note"],
            notify=data["notify"],
            origin=self.origin(request),
        )

    def fields_update(self, request, obj, changes):
        revision_update(revision=obj, changes=changes, origin=self.origin(request))

    def status_choices(self, obj):
        # Quotes go through their own page, which asks for the diagnostic and amount.
        return [c for c in super().status_choices(obj) if c[0] != Revision.Status.DEVIS_ENVOYE]
