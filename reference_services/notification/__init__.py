"""The notification service: messages from templates, delivered to a local sink (a JSON-lines file per tenant)."""
