"""plotly.js served from the installed plotly wheel: no CDN, nothing copied into the repo."""

from __future__ import annotations

from importlib.resources import as_file, files

from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse

from aco_pipeline.web.access.guard import public

router = APIRouter(include_in_schema=False)

PLOTLY_PATH = "/vendor/plotly.min.js"


@router.get(PLOTLY_PATH)
def plotly_js(_: object = Depends(public())) -> FileResponse:
    resource = files("plotly") / "package_data" / "plotly.min.js"
    with as_file(resource) as path:  # a real file for an installed wheel
        return FileResponse(path, media_type="text/javascript",
                            headers={"Cache-Control": "public, max-age=86400"})
