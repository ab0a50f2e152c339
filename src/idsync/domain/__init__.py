"""Domain records shared by every stage: what sources read, what rules want, what targets hold, the plan."""
