from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrackingConfig(AppConfig):
    name = "tracking"
    verbose_name = _("Suivi")

    def ready(self):
        from django.db.models.signals import post_migrate

        # After every migrate, when every table exists: the triggers follow the registry.
        post_migrate.connect(_install_triggers, sender=self, dispatch_uid="tracking-answer-triggers")


def _install_triggers(sender, using="default", **kwargs):
    from .answers import install_triggers

    install_triggers(using=using)
