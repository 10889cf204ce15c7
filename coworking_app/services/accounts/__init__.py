"""Who people are and what they may do: identity, sessions, permissions, two-factor, request security and rate limits."""
