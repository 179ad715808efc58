import json

import pytest

from licenses import signing

from .factories import ProductFactory

MACHINE = "0123456789abcdef0123456789abcdef"
OTHER_MACHINE = "fedcba9876543210fedcba9876543210"


@pytest.fixture
def product(db):
    return ProductFactory(renewal_url="https://easyfacture.com/renew")


@pytest.fixture(autouse=True)
def _fresh_keyring():
    signing.keyring.cache_clear()
    yield
    signing.keyring.cache_clear()


class Api:
    def __init__(self, client):
        self.client = client

    def post(self, path, body=None, *, raw=None, ip="10.0.0.1", token=None, **extra):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        data = raw if raw is not None else json.dumps(body or {})
        return self.client.post(
            f"/api/v1{path}", data=data, content_type="application/json", REMOTE_ADDR=ip, **headers, **extra
        )

    def get(self, path, *, token=None, ip="10.0.0.1", **params):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        return self.client.get(f"/api/v1{path}", params, REMOTE_ADDR=ip, **headers)

    def delete(self, path, *, token=None, ip="10.0.0.1"):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        return self.client.delete(f"/api/v1{path}", REMOTE_ADDR=ip, **headers)

    def trial(self, machine=MACHINE, email="client@example.com", **kw):
        body = {"machine_id": machine, "email": email, "product": "easyfacture", "version": "1.6.0"}
        return self.post("/licenses/trial", body, **kw)


@pytest.fixture
def api(client):
    return Api(client)
