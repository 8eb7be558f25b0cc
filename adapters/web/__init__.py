"""Web pages served by the same Starlette app: the progress board (every workspace) and the
shared page furniture. Server-rendered HTML, vendored CSS, no build step."""
