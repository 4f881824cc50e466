"""The network's one agenda: events, their workshops, registrations, waiting lists and reminders."""
