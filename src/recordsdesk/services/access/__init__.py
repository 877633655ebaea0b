"""Who may act: staff accounts and sign-in, passwords and their policy, roles, API tokens.

The rest of the desk uses `actor` (who is acting, told to every service; `acting` holds the
plain value alone, light enough for the sign-in screen to import before the database layer),
`permissions` (the role matrix every service enforces), `accounts` (signing in, staff
accounts), `passwords` and `tokens`; `password_policy` is the rule they share."""

__all__ = [
    "accounts",
    "acting",
    "actor",
    "passwords",
    "permissions",
    "tokens",
]
