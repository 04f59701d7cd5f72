"""HTTP plumbing shared by every router: transactions, authentication, errors, limits."""
