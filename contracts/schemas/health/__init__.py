"""JSON Schemas of the fleet health profile's five bodies (Draft 2020-12)."""
