"""The marketplace's pages (dashboards are being built: see the issue)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


def signup(request):
    return HttpResponse(status=501)


@login_required
def merchant_dashboard(request):
    return HttpResponse(status=501)


@login_required
def influencer_dashboard(request):
    return HttpResponse(status=501)
