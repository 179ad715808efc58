import pytest
from django.contrib.auth.models import Permission

from tests.licenses.conftest import Api

PASSWORD = "pw-ops-12345"


@pytest.fixture
def api(client):
    return Api(client)


@pytest.fixture
def manager(django_user_model):
    """A staff user holding the license API's permission."""
    user = django_user_model.objects.create_user(username="ops", password=PASSWORD, is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_license"))
    return user


def login(api, username="ops", password=PASSWORD):
    response = api.post("/admin/token", {"username": username, "password": password})
    assert response.status_code == 200, response.json()
    return response.json()


@pytest.fixture
def tokens(api, manager):
    return login(api)
