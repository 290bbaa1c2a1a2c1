"""file-storage: tenant-scoped files on a local storage directory, addressed by generated storage keys."""
