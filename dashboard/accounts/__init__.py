"""Accounts: users with a role and a scope, server-side sessions, API tokens, the access log, and the web guard."""
