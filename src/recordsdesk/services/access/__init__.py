"""Who may act: staff accounts and sign-in, passwords and their policy, roles, API tokens.

The rest of the desk uses `actor` (who is acting, told to every service), `permissions` (the
role matrix every service enforces), `accounts` (signing in, staff accounts), `passwords` and
`tokens`; `password_policy` is the rule they share."""

__all__ = [
    "accounts",
    "actor",
    "passwords",
    "permissions",
    "tokens",
]
