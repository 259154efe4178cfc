"""Page families of the web app; `app.create_app` includes every router listed in ROUTERS."""
