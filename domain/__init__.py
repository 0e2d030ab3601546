"""Pure logic: no web framework, no database, no object store, no environment, no clock."""
