from datetime import timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from core.money import CURRENCY_CHOICES
from tracking.models import Trackable


class Revision(Trackable):
    """A request for a mechanical revision: the customer describes the vehicle and the
    problem, the workshop diagnoses it and sends a quote the customer accepts or declines."""

    class Status(models.TextChoices):
        EN_ATTENTE = "en_attente", _("Reçu")
        DEVIS_ENVOYE = "devis_envoye", _("Devis envoyé")
        DEVIS_ACCEPTE = "devis_accepte", _("Devis accepté")
        DEVIS_REFUSE = "devis_refuse", _("Devis refusé")
        EN_COURS = "en_cours", _("En cours")
        TERMINE = "termine", _("Terminé")
        ANNULE = "annule", _("Annulé")

    status = models.CharField(_("statut"), max_length=20, choices=Status.choices, default=Status.EN_ATTENTE)

    client_name = models.CharField(_("nom du client"), max_length=120)
    client_email = models.EmailField(_("e-mail"))
    client_phone = models.CharField(_("téléphone"), max_length=32)

    vehicle_make = models.CharField(_("marque"), max_length=60)
    vehicle_model = models.CharField(_("modèle"), max_length=60)
    vehicle_year = models.PositiveSmallIntegerField(
        _("année"), validators=[MinValueValidator(1950), MaxValueValidator(2100)]
    )
    vehicle_plate = models.CharField(_("immatriculation"), max_length=20)
    mileage = models.PositiveIntegerField(_("kilométrage (km)"))
    problem_description = models.TextField(_("problème signalé"))
    preferred_date = models.DateField(_("date souhaitée"), null=True, blank=True)

    diagnostic = models.TextField(_("diagnostic technique"), blank=True)
    planned_interventions = models.TextField(_("interventions prévues"), blank=True)
    needed_parts = models.TextField(_("pièces nécessaires"), blank=True)
    # Quote in `quote_currency` units (FCFA by default), two decimals.
    quote_amount = models.DecimalField(_("montant du devis"), max_digits=12, decimal_places=2, null=True, blank=True)
    quote_currency = models.CharField(_("devise"), max_length=3, choices=CURRENCY_CHOICES, default="XOF")
    diagnostic_at = models.DateTimeField(_("date du diagnostic"), null=True, blank=True)
    quote_sent_at = models.DateTimeField(_("date du devis"), null=True, blank=True)
    quote_decided_at = models.DateTimeField(_("date de réponse au devis"), null=True, blank=True)
    # 0 until the first quote; every quote sent (a staff re-send included) takes the next
    # number. The decision form and the signed link carry it, so a customer can only
    # commit to the amount they were shown.
    quote_version = models.PositiveIntegerField(_("version du devis"), default=0, editable=False)

    class Meta:
        verbose_name = _("révision")
        verbose_name_plural = _("révisions")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quote_amount__isnull=True) | models.Q(quote_amount__gt=0),
                name="revision_quote_positive",
            ),
        ]
        # "Mes demandes" finds a customer's requests by e-mail, case-insensitively
        # (tracking.selectors.items_for_email: UPPER(client_email) = UPPER(%s)).
        indexes = [models.Index(models.functions.Upper("client_email"), name="revision_email_upper")]

    def __str__(self) -> str:
        return f"{self.tracking.number} · {self.vehicle_make} {self.vehicle_model}"

    @property
    def quote_valid_until(self):
        """When the quote sent last stops being acceptable (REVISION_QUOTE_VALIDITY_DAYS)."""
        if self.quote_sent_at is None:
            return None
        return self.quote_sent_at + timedelta(days=settings.REVISION_QUOTE_VALIDITY_DAYS)

    @property
    def quote_expired(self) -> bool:
        return self.quote_valid_until is not None and timezone.now() > self.quote_valid_until

    @property
    def vehicle_label(self) -> str:
        return f"{self.vehicle_make} {self.vehicle_model} ({self.vehicle_year})"


def media_path(instance: "RevisionMedia", filename: str) -> str:
    """revisions/<folder of the revision>/<random name>: the folder is a keyed hash of
    the tracking number (all of a revision's files together, yet the number cannot be
    read from the path nor the path guessed from the number), the name the random one
    core.uploads gave the file; never the name it was uploaded with."""
    folder = salted_hmac("revisions.media.folder", instance.revision.tracking.number).hexdigest()[:20]
    return f"revisions/{folder}/{filename}"


class RevisionMedia(models.Model):
    """A photo or a short video staff attach to a revision (the diagnostic, before and
    after the work), shown on the public tracking page. Added and removed through
    revisions.services (the file checked by its content, photos re-encoded without
    their metadata), never saved from a form as uploaded."""

    class Kind(models.TextChoices):
        PHOTO = "photo", _("Photo")
        VIDEO = "video", _("Vidéo")

    class Label(models.TextChoices):
        DIAGNOSTIC = "diagnostic", _("Diagnostic")
        BEFORE = "before", _("Avant intervention")
        AFTER = "after", _("Après intervention")
        OTHER = "other", _("Autre")

    # Indexed with the position below (the page reads a revision's media in order).
    revision = models.ForeignKey(
        Revision, on_delete=models.CASCADE, related_name="media", verbose_name=_("révision"), db_index=False
    )
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    label = models.CharField(_("étiquette"), max_length=20, choices=Label.choices, default=Label.DIAGNOSTIC)
    caption = models.CharField(_("légende"), max_length=200, blank=True)
    # The web-size photo (re-encoded) or the video as uploaded.
    file = models.FileField(_("fichier"), upload_to=media_path, max_length=200)
    # Photos only (about 480 px); a video shows a play icon.
    thumbnail = models.FileField(_("miniature"), upload_to=media_path, max_length=200, blank=True)
    # Decided from the content when it was uploaded (core.uploads.sniff), sent as is.
    content_type = models.CharField(_("type de contenu"), max_length=50)
    size = models.PositiveBigIntegerField(_("taille (octets)"))
    width = models.PositiveIntegerField(_("largeur (px)"), null=True, blank=True)
    height = models.PositiveIntegerField(_("hauteur (px)"), null=True, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(_("ajouté le"), auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("ajouté par"),
    )

    class Meta:
        verbose_name = _("photo ou vidéo")
        verbose_name_plural = _("photos et vidéos")
        ordering = ["position", "pk"]
        indexes = [models.Index(fields=["revision", "position"], name="revision_media_order")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.get_label_display()}"
