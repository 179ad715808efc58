"""Staff work on tickets here: the list (filters by status, priority, category,
assignee, "unassigned", "waiting for us", overdue), the conversation on the change page,
and reply / internal note / assign / status, each through support.services."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.errors import DomainError
from tracking.admin import TrackedAdminMixin
from tracking.forms import StatusForm
from tracking.services import tracked_fields_update

from .forms import FilesField, files_help
from .models import Message, Ticket
from .services import (
    message_add,
    staff_users,
    ticket_assign,
    ticket_priority_set,
    ticket_status_change,
)

S = Ticket.Status
ACTIVE = [S.OPEN, S.IN_PROGRESS, S.WAITING]


def overdue_q(now=None) -> Q:
    """Not answered yet and past its first-response target."""
    return Q(first_response_at__isnull=True, first_response_due_at__lt=now or timezone.now(), status__in=ACTIVE)


class AssigneeFilter(admin.SimpleListFilter):
    title = _("assigné à")
    parameter_name = "assignee"

    def lookups(self, request, model_admin):
        return [
            ("me", _("Moi")),
            ("none", _("Non assigné")),
            *[(str(u.pk), u.get_full_name() or u.get_username()) for u in staff_users().order_by("username")],
        ]

    def queryset(self, request, queryset):
        if self.value() == "me":
            return queryset.filter(assignee=request.user)
        if self.value() == "none":
            return queryset.filter(assignee__isnull=True)
        if self.value():
            return queryset.filter(assignee_id=self.value())
        return queryset


class WaitingFilter(admin.SimpleListFilter):
    title = _("en attente")
    parameter_name = "waiting"

    def lookups(self, request, model_admin):
        return [("us", _("De nous (dernier mot du client)")), ("customer", _("Du client"))]

    def queryset(self, request, queryset):
        if self.value() == "us":
            return queryset.filter(status__in=[S.OPEN, S.IN_PROGRESS], last_message_side=Ticket.Side.CUSTOMER)
        if self.value() == "customer":
            return queryset.filter(status=S.WAITING)
        return queryset


class OverdueFilter(admin.SimpleListFilter):
    title = _("première réponse")
    parameter_name = "first_response"

    def lookups(self, request, model_admin):
        return [("overdue", _("En retard")), ("due", _("À faire, dans les temps")), ("done", _("Faite"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "overdue":
            return queryset.filter(overdue_q(now))
        if self.value() == "due":
            return queryset.filter(first_response_at__isnull=True, first_response_due_at__gte=now, status__in=ACTIVE)
        if self.value() == "done":
            return queryset.filter(first_response_at__isnull=False)
        return queryset


class MessageInline(admin.TabularInline):
    """The conversation, read-only: messages are written through "Répondre"."""

    model = Message
    extra = 0
    can_delete = False
    fields = ("when", "who", "text", "files")
    readonly_fields = fields
    verbose_name_plural = _("conversation")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author").prefetch_related("attachments")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("date"))
    def when(self, obj):
        return date_format(timezone.localtime(obj.created_at), "SHORT_DATETIME_FORMAT")

    @admin.display(description=_("auteur"))
    def who(self, obj):
        label = _("Note interne") if obj.internal else obj.get_side_display()
        name = obj.author.get_full_name() or obj.author.get_username() if obj.author else ""
        return format_html("<strong>{}</strong><br><span class='quiet'>{}</span>", label, name)

    @admin.display(description=_("message"))
    def text(self, obj):
        style = "background:#fff6d6;padding:6px 8px;border-radius:4px" if obj.internal else ""
        return format_html(
            '<div style="{}">{}</div>',
            style,
            format_html_join("", "{}<br>", ((line,) for line in obj.body.splitlines())),
        )

    @admin.display(description=_("pièces jointes"))
    def files(self, obj):
        return (
            format_html_join(
                "<br>",
                '<a href="{}" target="_blank" rel="noopener">{}</a>',
                ((reverse("support:staff-attachment", args=[a.pk]), a.name) for a in obj.attachments.all()),
            )
            or "-"
        )


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 6, "cols": 80}))
    internal = forms.BooleanField(label=_("Note interne (jamais montrée au client)"), required=False)
    then_status = forms.ChoiceField(label=_("Puis passer le ticket à"), required=False)
    files = FilesField(label=_("Pièces jointes"))

    def __init__(self, *args, ticket: Ticket, **kwargs):
        super().__init__(*args, **kwargs)
        from .tracking import TRANSITIONS

        allowed = TRANSITIONS.get(ticket.status, frozenset())
        self.fields["then_status"].choices = [("", _("(inchangé)"))] + [
            (value, label) for value, label in S.choices if value in allowed
        ]
        self.fields["files"].help_text = files_help()


@admin.register(Ticket)
class TicketAdmin(TrackedAdminMixin, admin.ModelAdmin):
    status_form_class = StatusForm
    list_display = ("tracking_number", "subject_column", "status_column", "priority", "assignee", "due_column")
    list_filter = (
        "status",
        "priority",
        "category",
        AssigneeFilter,
        WaitingFilter,
        OverdueFilter,
        "source",
        "created_at",
    )
    search_fields = ("tracking__number", "subject", "customer_name", "customer_email", "description")
    list_select_related = ("tracking", "assignee")
    date_hierarchy = "created_at"
    inlines = [MessageInline]
    actions = ["assign_to_me", "mark_in_progress", "mark_waiting", "mark_resolved", "mark_closed"]
    readonly_fields = (
        "public_link",
        "reference",
        "status",
        "source",
        "user",
        "related_link",
        "follows_link",
        "first_response_due_at",
        "first_response_at",
        "resolved_at",
        "closed_at",
        "created_at",
        "history_table",
    )
    fieldsets = (
        (
            _("Ticket"),
            {"fields": ("public_link", "reference", "status", "subject", "category", "priority", "assignee")},
        ),
        (_("Client"), {"fields": ("customer_name", "customer_email", "customer_phone", "user", "source")}),
        (_("Liens"), {"fields": ("related_link", "follows_link")}),
        (
            _("Délais"),
            {"fields": ("created_at", "first_response_due_at", "first_response_at", "resolved_at", "closed_at")},
        ),
        (_("Historique"), {"fields": ("history_table",)}),
    )

    def has_add_permission(self, request):
        # Tickets come from customers (contact form, tracking pages, API).
        return False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "assignee":
            kwargs["queryset"] = staff_users().order_by("username")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("Sujet"), ordering="subject")
    def subject_column(self, obj):
        return format_html(
            '<span title="{}">{}</span><br><span class="quiet">{} · {}</span>',
            obj.subject,
            Truncator(obj.subject).chars(50),
            obj.customer_name,
            obj.get_category_display(),
        )

    @admin.display(description=_("Première réponse"), ordering="first_response_due_at")
    def due_column(self, obj):
        if obj.first_response_at:
            return format_html('<span class="quiet">{}</span>', _("faite"))
        if obj.status not in ACTIVE:
            return "-"
        due = date_format(timezone.localtime(obj.first_response_due_at), "SHORT_DATETIME_FORMAT")
        if obj.first_response_due_at < timezone.now():
            return format_html('<strong style="color:var(--error-fg)">{}</strong><br>{}', _("En retard"), due)
        return format_html("{}<br>{}", _("avant le"), due)

    @admin.display(description=_("demande concernée"))
    def related_link(self, obj):
        if not obj.related_item_id:
            return "-"
        number = obj.related_item.number
        return format_html('<a href="{}">{}</a>', reverse("tracking:detail", args=[number]), number)

    @admin.display(description=_("suite de"))
    def follows_link(self, obj):
        if not obj.follows_id:
            return "-"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:support_ticket_change", args=[obj.follows_id]),
            obj.follows.tracking.number,
        )

    def next_action(self, obj):
        if obj.is_closed:
            return None
        return reverse("admin:support_ticket_reply", args=[obj.pk]), _("Répondre")

    def get_urls(self):
        return [
            path("<int:object_id>/repondre/", self.admin_site.admin_view(self.reply_view), name="support_ticket_reply"),
            *super().get_urls(),
        ]

    def reply_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        ticket = self._object_for_change(request, object_id)
        form = ReplyForm(request.POST or None, request.FILES or None, ticket=ticket)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                message_add(
                    ticket=ticket,
                    body=data["body"],
                    side=Ticket.Side.STAFF,
                    author=request.user,
                    internal=data["internal"],
                    files=data["files"],
                    origin=self.origin(request),
                )
                if data["then_status"]:
                    ticket.refresh_from_db()
                    ticket_status_change(ticket=ticket, to_status=data["then_status"], origin=self.origin(request))
            except DomainError as exc:
                form.add_error(
                    "files" if exc.code.startswith("FILE") or exc.code == "IMAGE_UNREADABLE" else None, exc.message
                )
            else:
                done = _("Note interne enregistrée.") if data["internal"] else _("Réponse envoyée au client.")
                self.message_user(request, done, messages.SUCCESS)
                return redirect(reverse("admin:support_ticket_change", args=[ticket.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": ticket,
            "ticket": ticket,
            "title": _("Répondre · %(number)s") % {"number": ticket.tracking.number},
            "form": form,
            "thread": ticket.messages.select_related("author").prefetch_related("attachments"),
        }
        status = 400 if request.method == "POST" else 200
        return TemplateResponse(request, "admin/support/ticket/reply.html", context, status=status)

    def status_change(self, request, obj, data):
        ticket_status_change(
            ticket=obj,
            to_status=data["to_status"],
            note=data["note"],
            notify=data["notify"],
            origin=self.origin(request),
        )

    def fields_update(self, request, obj, changes):
        origin = self.origin(request)
        if "assignee" in changes:
            ticket_assign(ticket=obj, assignee=changes.pop("assignee"), origin=origin)
        if "priority" in changes:
            ticket_priority_set(ticket=obj, priority=changes.pop("priority"), origin=origin)
        if changes:
            tracked_fields_update(
                obj=obj,
                changes=changes,
                editable=frozenset({"subject", "category", "customer_name", "customer_email", "customer_phone"}),
                origin=origin,
            )

    def _each(self, request, queryset, run, done_message) -> None:
        done, refused = 0, []
        for ticket in queryset.select_related("tracking"):
            try:
                run(ticket)
            except DomainError as exc:
                refused.append(f"{ticket.tracking.number} : {exc.message}")
            else:
                done += 1
        if done:
            self.message_user(request, done_message % {"count": done}, messages.SUCCESS)
        for line in refused:
            self.message_user(request, line, messages.WARNING)

    @admin.action(description=_("M'assigner"), permissions=["change"])
    def assign_to_me(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda t: ticket_assign(ticket=t, assignee=request.user, origin=self.origin(request)),
            ngettext("%(count)s ticket assigné.", "%(count)s tickets assignés.", queryset.count()),
        )

    def _status_action(self, request, queryset, status):
        self._each(
            request,
            queryset,
            lambda t: ticket_status_change(ticket=t, to_status=status, origin=self.origin(request)),
            ngettext("%(count)s ticket mis à jour.", "%(count)s tickets mis à jour.", queryset.count()),
        )

    @admin.action(description=_("Passer en cours de traitement"), permissions=["change"])
    def mark_in_progress(self, request, queryset):
        self._status_action(request, queryset, S.IN_PROGRESS)

    @admin.action(description=_("Passer en attente du client"), permissions=["change"])
    def mark_waiting(self, request, queryset):
        self._status_action(request, queryset, S.WAITING)

    @admin.action(description=_("Marquer résolu"), permissions=["change"])
    def mark_resolved(self, request, queryset):
        self._status_action(request, queryset, S.RESOLVED)

    @admin.action(description=_("Fermer"), permissions=["change"])
    def mark_closed(self, request, queryset):
        self._status_action(request, queryset, S.CLOSED)
