"""Baselines for bench/intake.py: the same Twilio form parsed and answered, without Tipline.

``bare``: parse the form, answer TwiML. ``durable``: the same plus one raw asyncpg insert,
committed before answering — the least any durable intake must do.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import parse_qsl

import asyncpg
from fastapi import FastAPI, Request, Response
from twilio.twiml.messaging_response import MessagingResponse

DSN = os.environ.get("BENCH_ASYNCPG_DSN", "")


def twiml(text: str) -> Response:
    reply = MessagingResponse()
    reply.message(text)
    return Response(content=str(reply), media_type="application/xml")


async def parsed_form(request: Request) -> dict[str, str]:
    return dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))


bare = FastAPI()


@bare.post("/channels/sms/twilio")
async def bare_webhook(request: Request) -> Response:
    form = await parsed_form(request)
    return twiml(f"OCS : signalement reçu ({len(form['Body'])}).")


@asynccontextmanager
async def _pool(app: FastAPI) -> AsyncIterator[None]:
    app.state.pool = await asyncpg.create_pool(DSN, min_size=4, max_size=16)
    async with app.state.pool.acquire() as connection:
        await connection.execute(
            "CREATE TABLE IF NOT EXISTS bench_tips (sid text PRIMARY KEY, body bytea NOT NULL)"
        )
    yield
    await app.state.pool.close()


durable = FastAPI(lifespan=_pool)


@durable.post("/channels/sms/twilio")
async def durable_webhook(request: Request) -> Response:
    form = await parsed_form(request)
    async with request.app.state.pool.acquire() as connection:
        await connection.execute(
            "INSERT INTO bench_tips (sid, body) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            form["MessageSid"],
            form["Body"].encode(),
        )
    return twiml("OCS : signalement reçu.")
