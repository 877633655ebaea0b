"""Who may act: staff accounts, passwords and their policy, roles and API tokens."""
