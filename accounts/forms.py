"""The forms of the platform's accounts: log in, reset a password, sign up."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
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
        self.fields["username"].help_text = _("Compte client : votre adresse e-mail.")
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "autocapitalize": "none"})
        self.fields["password"].widget.attrs["autocomplete"] = "current-password"

    def clean(self):
        try:
            return super().clean()
        except ValidationError:
            # A customer's username is their e-mail in lower case (accounts.customers):
            # typed with capitals, it is tried again in lower case. Usernames stay compared
            # as typed otherwise (Django's rule), and one backend keeps with_perm() simple.
            username = self.cleaned_data.get("username") or ""
            if "@" not in username or username == username.lower():
                raise
            self.cleaned_data["username"] = username.lower()
            return super().clean()


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


class NewAccountForm(forms.Form):
    """What every sign-up asks (customers here, merchants and influencers in leads): an
    e-mail and the password twice. The rules (a taken e-mail, Django's password
    validators) are the service's (accounts.users.user_create); `add_service_errors`
    puts its refusals back on the fields."""

    email = forms.EmailField(
        label=_("E-mail"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password1 = forms.CharField(
        label=_("Mot de passe"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label=_("Confirmez le mot de passe"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password2") and data["password1"] != data["password2"]:
            self.add_error("password2", _("Les deux mots de passe ne sont pas identiques."))
        return data

    def add_service_errors(self, exc: ValidationError) -> None:
        """A service's ValidationError by field, on this form's fields: "password" is
        password1, a field the form does not have is shown above the form."""
        for field, errors in exc.message_dict.items():
            field = "password1" if field == "password" else field
            for error in errors:
                self.add_error(field if field in self.fields else None, error)


class CustomerSignupForm(NewAccountForm):
    name = forms.CharField(label=_("Nom"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"}))

    field_order = ["name", "email", "password1", "password2"]
