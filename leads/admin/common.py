"""What the leads admin modules share: badges, amounts, the intermediate page of an
action that asks for something (a rating, a reason, a reference), and the report of
an action run object by object through a service."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.money import format_money

from ..models import Level

# The colours of the merchant dashboard's deposit ring, one per level.
LEVEL_COLORS = {
    Level.HEALTHY: "#127a43",
    Level.ATTENTION: "#8a6d00",
    Level.WARNING: "#c2410c",
    Level.CRITICAL: "#b42318",
    Level.DEPLETED: "#5b1a14",
}


def badge(label, color: str):
    return format_html(
        '<span class="nowrap" style="display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;'
        'background:{};font-size:.8rem;font-weight:600">{}</span>',
        color,
        label,
    )


def level_badge(level: str):
    return badge(Level(level).label, LEVEL_COLORS[Level(level)])


def amount(value, currency: str = "MAD"):
    """'1 500 dhs', on one line; '-' for no amount."""
    if value is None:
        return "-"
    return format_html('<span class="nowrap">{}</span>', format_money(value, currency))


def moment(value, short_format: str = "d/m H:i"):
    """A time in the site's time zone, short (day, month and time: the date hierarchy
    above a list gives the year), in full on hover."""
    if value is None:
        return "-"
    local = timezone.localtime(value)
    return format_html(
        '<span class="nowrap" title="{}">{}</span>',
        date_format(local, "DATETIME_FORMAT"),
        date_format(local, short_format),
    )


def two_lines(first, second):
    """A cell of a list with a quieter second line: beside the admin's menu and filters
    a 1280 px screen leaves about 600 px to the table, so related facts share a cell."""
    return format_html('{}<br><span class="quiet">{}</span>', first, second)


def action_form_page(
    model_admin,
    request,
    queryset,
    *,
    form: forms.Form,
    action: str,
    title: str,
    intro: str,
    submit: str,
    rows: list[str],
):
    """The admin-styled page between choosing an action and running it: the selected
    objects, the form, and the hidden inputs that bring the selection back."""
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": title,
        "intro": intro,
        "submit": submit,
        "rows": rows,
        "selected": [str(pk) for pk in queryset.values_list("pk", flat=True)],
        "form": form,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "action": action,
    }
    status = 400 if form.is_bound else 200
    return TemplateResponse(request, "admin/leads/action_form.html", context, status=status)


def bound_form(form_class: type[forms.Form], request) -> forms.Form:
    """The action's form, bound only once its intermediate page was submitted."""
    return form_class(request.POST if "post" in request.POST else None)


def run_each(model_admin, request, objects, call: Callable, *, done_message: Callable[[int], str]) -> None:
    """Call the service on each object in turn (each call its own transaction) and report:
    how many succeeded, and each refusal with the service's own message."""
    done = 0
    for obj in objects:
        try:
            call(obj)
        except DomainError as exc:
            model_admin.message_user(request, f"{obj} : {exc.message}", messages.WARNING)
        else:
            done += 1
    if done:
        model_admin.message_user(request, done_message(done), messages.SUCCESS)
    elif not objects:
        model_admin.message_user(request, _("Aucun élément sélectionné."), messages.WARNING)


def form_action(
    model_admin,
    request,
    queryset,
    *,
    form_class: type[forms.Form],
    action: str,
    call: Callable,
    done_message: Callable[[int], str],
    title: str,
    intro: str,
    submit: str,
    rows: list[str],
):
    """An admin action that asks for something first (a rating, a reason, a reference):
    its intermediate page until the form is valid, then `call(obj, cleaned_data)` on each
    selected object through `run_each`."""
    form = bound_form(form_class, request)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        run_each(
            model_admin, request, list(queryset.order_by("pk")), lambda obj: call(obj, data), done_message=done_message
        )
        return None
    return action_form_page(
        model_admin, request, queryset, form=form, action=action, title=title, intro=intro, submit=submit, rows=rows
    )


def form_page(
    model_admin,
    request,
    *,
    form: forms.Form,
    title: str,
    submit: str,
    cancel_url: str,
    intro: str = "",
    original=None,
    readonly_rows=(),
):
    """A staff form of its own (object tools: bank transfer, adjustment, new account)."""
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": title,
        "intro": intro,
        "submit": submit,
        "cancel_url": cancel_url,
        "original": original,
        "form": form,
        "readonly_rows": readonly_rows,
    }
    status = 400 if request.method == "POST" else 200
    return TemplateResponse(request, "admin/leads/form_page.html", context, status=status)
