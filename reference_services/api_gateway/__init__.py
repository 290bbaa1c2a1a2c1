"""api-gateway: a stateless GraphQL gateway in front of the subgraphs (auth, master-data, organization, workflow,
rules-engine); it forwards the caller's bearer token and publishes its events directly (no database, no outbox)."""
