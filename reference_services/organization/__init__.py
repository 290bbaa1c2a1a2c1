"""The organization service: the tenant registry (platform admin) and each tenant's organizations and divisions."""
