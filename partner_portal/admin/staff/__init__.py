"""Staff sign-in, password reset and staff accounts."""
