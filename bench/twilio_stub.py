"""A stand-in for Twilio's REST API during the benches: every delete succeeds at once.

Each stored batch's texts are erased at Twilio by a job (``erase_messages``). Without a server
to answer, those jobs fail (no route to api.twilio.com here) and come back every 30 s, and the
benches would measure that instead of the pipeline.

    python -m bench.twilio_stub --port PORT
"""

from __future__ import annotations

import argparse

from aiohttp import web


async def deleted(_request: web.Request) -> web.Response:
    return web.Response(status=204)


async def empty_page(_request: web.Request) -> web.Response:
    return web.json_response({"messages": [], "calls": [], "media_list": [], "recordings": []})


def app() -> web.Application:
    application = web.Application()
    application.router.add_delete("/{tail:.*}", deleted)
    application.router.add_get("/{tail:.*}", empty_page)
    return application


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    web.run_app(app(), host="127.0.0.1", port=parser.parse_args().port, print=None)
