from django.urls import path

from . import views

app_name = "revisions"

urlpatterns = [
    path("", views.request_form, name="request"),
    path("<str:number>/devis/", views.quote_decision, name="quote-decision"),
    path("<str:number>/devis/lien/", views.quote_link_resend, name="quote-link-resend"),
]
