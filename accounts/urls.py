from django.urls import path

from . import customer_views, views

app_name = "accounts"

urlpatterns = [
    path("", views.home, name="home"),
    path("connexion/", views.LoginView.as_view(), name="login"),
    path("deconnexion/", views.LogoutView.as_view(), name="logout"),
    path("mot-de-passe/", views.PasswordResetView.as_view(), name="password_reset"),
    path("mot-de-passe/envoye/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("mot-de-passe/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("mot-de-passe/termine/", views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("inscription/", customer_views.signup, name="signup"),
    # Before the token's path: a signed token always holds a ":", never this word.
    path("verification/renvoyer/", customer_views.verification_resend, name="email_verification_resend"),
    path("verification/<str:token>/", customer_views.verify, name="email_verify"),
    path("demandes/", customer_views.requests, name="requests"),
    path("jetons/", views.tokens, name="tokens"),
    path("jetons/<int:token_id>/revoquer/", views.token_revoke, name="token_revoke"),
]
