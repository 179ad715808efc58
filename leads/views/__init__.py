"""The marketplace's pages: sign-up (signup.py), the merchant's dashboard (merchant.py,
its money pages in merchant_money.py) and the influencer's (influencer.py)."""
