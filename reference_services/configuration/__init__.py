"""The configuration service: per-tenant settings (scope, key, JSON value) and feature flags; changes are events."""
