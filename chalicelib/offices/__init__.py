"""Office operations: offices as data (schedules, closures, mode), the staff settings API, the
closure job, the day's roster and published performance."""
