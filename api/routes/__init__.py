"""HTTP routes, one module per resource; they call services and never touch storage directly."""
