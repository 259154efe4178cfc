"""The web app (`aco serve`): server-rendered, role-based pages over the published warehouse.

Layout (data flows top to bottom):
- `access/`   who may see what: users, sessions, roles and permissions, provider scope,
              beneficiary tokens, CSRF, throttling, security headers, the hash-chained audit log
- `warehouse.py`, `status.py`   the published warehouse opened per request (follows each new
              publish), the data-status banner
- `tables.py`, `export.py`, `charts.py`   server-side sort/filter/paging, CSV/XLSX, charts
- `pages/`    one module per page family; each route declares its permission
- `app.py`    `create_app(workspace)`: wires the above, refuses a route with no rule
"""
