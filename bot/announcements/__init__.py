"""Organisers' scheduled announcements (/rappel): not to be confused with reminders before an event."""
