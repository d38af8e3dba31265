"""HTTP only: app factory, routes, wire schemas, auth, the error envelope."""
