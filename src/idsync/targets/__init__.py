"""Targets read the state the diff needs and execute plan items. They know nothing about rules."""
