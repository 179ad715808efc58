from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RevisionsConfig(AppConfig):
    name = "revisions"
    verbose_name = _("Révisions")

    def ready(self) -> None:
        from tracking import registry

        from .tracking import SERVICE, check_transitions

        check_transitions(SERVICE.transitions)
        registry.register(SERVICE)
