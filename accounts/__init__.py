"""Accounts: the platform's one login, customer accounts (sign-up, verified e-mail, "Mes
demandes": accounts.customers), personal API tokens, and the staff API token (issue,
rotate, revoke) with the permissions that open the staff APIs. Every domain's admin API
authenticates with `accounts.auth.StaffBearer`."""
