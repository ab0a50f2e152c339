"""Sources read people and groups from an identity provider. They never write, and they know nothing
about rules, plans or the database."""
