"""The channel contract suite: one set of behaviours, run against every adapter."""
