"""HTTP edge: the app factory, dependencies, auth, problem+json errors and the routes."""
