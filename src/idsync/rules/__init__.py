"""Rules turn a source snapshot into the desired target state. Pure functions of (snapshot, profile)."""
