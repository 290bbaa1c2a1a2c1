"""JSON Schemas of the fleet contract (packaged data)."""
