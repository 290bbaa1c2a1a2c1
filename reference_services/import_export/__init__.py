"""import-export: CSV import and export of master-data's customers, vendors and products through master-data's
HTTP API with the caller's token, recorded as jobs with per-row errors."""
