"""Business rules. Every function takes a session; adapters (Reflex, API, jobs, CLI) call these."""
