import pytest

PASSWORD = "pw-user-12345"


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(username="amina", password=PASSWORD, first_name="Amina")


@pytest.fixture
def other(django_user_model):
    return django_user_model.objects.create_user(username="karim", password=PASSWORD)


@pytest.fixture
def member(client, user):
    client.force_login(user)
    client.user = user
    return client
