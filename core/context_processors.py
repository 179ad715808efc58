from django.conf import settings


def platform(request):
    from .chrome import Chrome

    return {"PLATFORM_NAME": settings.PLATFORM_NAME, "chrome": Chrome(request)}
