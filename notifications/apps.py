from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from accounts.menu import register_menu_item

        from .views import bell

        # The bell in the header of every page, for logged-in users (accounts.menu).
        register_menu_item(bell)
