from django.urls import path

from . import views

# Mounted at /api/webhooks/ (config/urls.py). Each provider's dashboard points here.
urlpatterns = [
    path("stripe", views.stripe_webhook, name="payments-stripe-webhook"),
]
