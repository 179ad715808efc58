"""The login and password-reset forms of the platform's accounts."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext_lazy as _

from core.notify import notify_email


class LoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        # Deactivated accounts get the same answer as a wrong password (Django's
        # ModelBackend refuses them before the form's inactive check): an attacker
        # learns nothing about which accounts exist.
        "invalid_login": _("Identifiant ou mot de passe incorrect. Vérifiez-les et réessayez."),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("Identifiant")
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "autocapitalize": "none"})
        self.fields["password"].widget.attrs["autocomplete"] = "current-password"


class PlatformPasswordResetForm(PasswordResetForm):
    """Django's reset form, its e-mail sent through the outbox (core.notify): branded
    like every e-mail of the platform, retried, visible in admin."""

    email = forms.EmailField(
        label=_("Adresse e-mail"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )

    def save(self, *, request=None, **kwargs) -> None:
        # Django's save() builds a context for its own send_mail; ours only needs the user.
        for user in self.get_users(self.cleaned_data["email"]):
            token = default_token_generator.make_token(user)
            uid = urlsafe_base64_encode(force_bytes(user.pk))
            url = settings.SITE_URL.rstrip("/") + reverse(
                "accounts:password_reset_confirm", kwargs={"uidb64": uid, "token": token}
            )
            notify_email(
                # The token changes with the password and the last login: one e-mail per request.
                key=f"password-reset:{user.pk}:{token}",
                to=getattr(user, user.get_email_field_name()),
                template="accounts/email/password_reset",
                context={"user": user, "url": url, "username": user.get_username()},
            )
