"""Page families of the web app; `app.create_app` includes every router listed in ROUTERS.

Each name is a module of this package exposing `router` (a FastAPI APIRouter whose every route
declares `Depends(require(Permission.X))` or `Depends(public())`) and, optionally, `NAV`: a list
of `(label, path, Permission)` links for the header. Append a new page family's name here.
"""

ROUTERS: list[str] = ["auth", "home", "assets", "account", "admin", "patient", "care", "analyst",
                     "executive", "finance", "network", "provider", "api"]
