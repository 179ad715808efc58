"""Opening a platform user: the one function every sign-up (customers', merchants',
influencers') and staff's account creation goes through, so the rules on usernames,
e-mails and passwords are checked the same way everywhere."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _


def email_taken_message() -> str:
    return _("Un compte existe déjà avec cette adresse e-mail.")


def user_create(*, username: str, email: str, password: str | None, first_name: str = ""):
    """A saved user, or ValidationError by field ("username", "email", "password") for a
    taken username or e-mail (case-insensitively) or a weak password (Django's
    AUTH_PASSWORD_VALIDATORS). `password=None`: a random one nobody knows (the person
    sets theirs through the reset e-mail)."""
    users = get_user_model()
    username, email = username.strip(), users.objects.normalize_email(email.strip())
    errors = {}
    if users.objects.filter(username__iexact=username).exists():
        errors["username"] = [_("Ce nom d'utilisateur est déjà pris.")]
    if users.objects.filter(email__iexact=email).exists():
        errors["email"] = [email_taken_message()]
    user = users(username=username, email=email, first_name=first_name.strip())
    # The model's own rules (username characters and length, e-mail length), by field.
    try:
        user.clean_fields(exclude=["password"])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if password is not None:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            errors["password"] = list(exc.messages)
    if errors:
        raise ValidationError(errors)
    user.set_password(password if password is not None else secrets.token_urlsafe(32))
    try:
        # Two sign-ups racing for one username: the unique index decides, the loser gets
        # the same message as if it had been taken before.
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise ValidationError({"username": [_("Ce nom d'utilisateur est déjà pris.")]}) from None
    return user
