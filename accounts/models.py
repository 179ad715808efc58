from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class StaffRefreshToken(models.Model):
    """One refresh token of a staff API session.

    A login starts a session (a `family`); each refresh spends the presented token
    (`used_at`) and adds the next row of the family, so the rows are the session's
    history. A spent token presented again means it was copied: the whole family is
    revoked. Revoking a family also refuses its access tokens (they carry the family id).
    Rows are deleted by a daily job once expired.
    """

    class RevokedReason(models.TextChoices):
        LOGOUT = "logout", _("Révoqué par son détenteur")
        REUSE = "reuse", _("Jeton déjà utilisé présenté à nouveau")
        PASSWORD_CHANGED = "password_changed", _("Mot de passe changé")
        DEACTIVATED = "deactivated", _("Compte désactivé")
        ACCESS_REMOVED = "access_removed", _("Accès à l'API retiré")

    # The token's `jti` claim.
    jti = models.UUIDField(_("identifiant"), primary_key=True, editable=False)
    # The session: every token obtained from one login by successive refreshes.
    family = models.UUIDField(_("session d'API"), db_index=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="staff_refresh_tokens",
        verbose_name=_("membre du personnel"),
    )
    issued_at = models.DateTimeField(_("émis le"))
    expires_at = models.DateTimeField(_("expire le"), db_index=True)
    used_at = models.DateTimeField(_("utilisé le"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("révoqué le"), null=True, blank=True)
    revoked_reason = models.CharField(_("motif de révocation"), max_length=20, choices=RevokedReason, blank=True)

    class Meta:
        verbose_name = _("jeton de rafraîchissement")
        verbose_name_plural = _("jetons de rafraîchissement (API du personnel)")
        ordering = ["-issued_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("issued_at")), name="staff_refresh_expires_after_issue"
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True, revoked_reason="")
                | Q(revoked_at__isnull=False) & ~Q(revoked_reason=""),
                name="staff_refresh_revoked_with_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.family}"


class PersonalToken(models.Model):
    """A personal API token (`Authorization: Bearer pt_...`) for the platform's JSON
    APIs (leads, notifications), created and revoked by its owner.

    Only the SHA-256 of the token is stored: the token itself is shown once, at
    creation. The token has 256 random bits, so a fast hash is enough (no salt or slow
    hash needed: there is nothing to guess). Access is checked at every request: a
    revoked token or a deactivated owner is refused at once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="personal_tokens",
        verbose_name=_("utilisateur"),
    )
    name = models.CharField(_("nom"), max_length=100)
    # The token's first characters, shown so its owner can tell their tokens apart.
    prefix = models.CharField(_("début du jeton"), max_length=8)
    digest = models.CharField(_("empreinte SHA-256"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("dernière utilisation"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("révoqué le"), null=True, blank=True)

    class Meta:
        verbose_name = _("jeton d'API personnel")
        verbose_name_plural = _("jetons d'API personnels")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class CustomerProfile(models.Model):
    """A customer's account (signed up at /compte/inscription/): what makes a user a
    customer, and the e-mail they proved is theirs.

    Requests and tickets are matched to an account by e-mail only once that e-mail is
    verified, so an account cannot claim someone else's address. `verified_email` is the
    address the link was sent to: if the user's e-mail changes, it no longer matches and
    nothing is shown by e-mail until the new one is verified (accounts.selectors.verified_email)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="customer_profile",
        verbose_name=_("utilisateur"),
    )
    verified_email = models.EmailField(_("e-mail vérifié"), blank=True)
    email_verified_at = models.DateTimeField(_("e-mail vérifié le"), null=True, blank=True)
    # The customer's language at sign-up: their e-mails are written in it.
    language = models.CharField(_("langue"), max_length=8, default="fr")
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("compte client")
        verbose_name_plural = _("comptes clients")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(verified_email="", email_verified_at__isnull=True)
                | ~Q(verified_email="") & Q(email_verified_at__isnull=False),
                name="customer_verified_email_with_date",
            ),
        ]

    def __str__(self) -> str:
        return str(self.user)
