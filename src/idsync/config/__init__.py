"""The configuration contract (docs/configuration.md) as pydantic models.

`connections` holds one model per connection type; `profiles` the sync rules; `loader` reads the YAML
file, expands `${ENV}`, and turns validation errors into messages naming the file, the key path, the
bad value and what would be valid (the nearest valid name for an unknown key).
"""
