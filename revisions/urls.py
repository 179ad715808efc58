from django.urls import path

from . import views

app_name = "revisions"

urlpatterns = [
    path("", views.request_form, name="request"),
    path("<str:number>/devis/", views.quote_decision, name="quote-decision"),
]
