"""Reference data a production install of the license server needs: the products
whose licenses it issues. Created by the data migration 0003 and by
`manage.py setup_reference_data`; demo data (licenses, codes) stays in demo.py.

Only missing rows are created (get_or_create by slug): an operator's later edits in
admin (name, trial length, renewal URL) are never overwritten.
"""

from django.apps import apps as global_apps

# renewal_url is left empty: the renewal link then comes from LICENSE_RENEWAL_URL, one
# setting per deployment instead of a value frozen in the database.
PRODUCTS = [
    {"slug": "easyfacture", "name": "EasyFacture", "trial_days": 30, "renewal_url": ""},
]


def setup(*, apps=global_apps) -> list[str]:
    """Create the missing products; returns what was created ("licenses.Product easyfacture").

    `apps` is the migration's historical registry when called from a migration, so only
    fields that exist in 0003's state may be used here (a later field needs a new
    migration, not a change to this function alone).
    """
    Product = apps.get_model("licenses", "Product")
    created = []
    for data in PRODUCTS:
        _, was_created = Product.objects.get_or_create(
            slug=data["slug"], defaults={key: value for key, value in data.items() if key != "slug"}
        )
        if was_created:
            created.append(f"licenses.Product {data['slug']}")
    return created
