"""The scheduler service: per-tenant cron jobs (Asia/Dhaka by default) run by a background loop or on demand."""
