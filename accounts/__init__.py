"""Staff accounts: the platform's one staff API token (issue, rotate, revoke) and the
permissions that open the staff APIs. Every domain's admin API authenticates with
`accounts.auth.StaffBearer`."""
