"""Access control for the web app: identities, roles, permissions, scope, audit."""
