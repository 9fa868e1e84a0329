"""Who may do what: accounts and sign-in, permission decisions, database grants."""
