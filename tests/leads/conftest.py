"""Fixtures of the leads tests: two merchants, an influencer with bank details, a
campaign, and the test client logged in as one role or the other."""

import pytest

from .factories import make_campaign, make_influencer, make_merchant


@pytest.fixture
def merchant():
    return make_merchant(balance="1000", company="Atlas Digital")


@pytest.fixture
def other_merchant():
    return make_merchant(balance="1000", company="Rival SARL")


@pytest.fixture
def influencer():
    return make_influencer(bank_holder="Sara Alami", bank_rib="011780000012345678901234")


@pytest.fixture
def campaign(merchant):
    return make_campaign(merchant, name="Sites vitrines")


@pytest.fixture
def as_merchant(client, merchant):
    client.force_login(merchant.user)
    return client


@pytest.fixture
def as_influencer(client, influencer):
    client.force_login(influencer.user)
    return client
