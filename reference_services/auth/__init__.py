"""auth: users, login with lockout, RS256 tokens with a JWKS, rotating refresh tokens (SPEC.md "Tenancy and auth")."""
