"""Reporting deadlines: the calendar, the reminder planner and submissions."""
