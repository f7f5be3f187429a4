"""Building and updating an index version from the seeds, reusing what earlier builds computed."""
