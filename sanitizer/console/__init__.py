"""The operator console: a JSON API and a page, served by `sanitizer serve` on the admin
listener only (config `admin:`), never on the ingress port.

auth.py           the admin token, sessions, CSRF
context.py        what the console reads from the running proxy
routes_api.py     GET /api/routes, GET /api/samples
preview.py        POST /api/preview (nothing queued, delivered, logged or stored)
deadletters_api.py  GET /api/dead-letters, POST …/{id}/retry and …/{id}/purge
tap.py            the live tap (TapHub, fed by intake) and GET /api/tap (server-sent events)
app.py            the Starlette app: the routes above, the page and its assets, the headers
static/           the page (index.html, console.js, console.css), shipped in the wheel
"""
