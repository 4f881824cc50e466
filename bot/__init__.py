"""Le cœur du bot : tout sauf Discord."""
