"""Questions to a person: who answers a ticket, what officers read, reminders when none does."""
