"""bench/api.sh's other side: the seed's API stack (FastAPI, uvicorn, asyncpg) serving the one
request the bench sends both: GET one project by id for the bearer of an access token.

It does what `cofee api` does for that request, on the same PostgreSQL database and schema:
verifies the HS256 access token Cofee issued (same secret, issuer and audience), then selects
the project by id *and* owner, and answers 404 when it is someone else's.
"""

import os
import uuid

import asyncpg
import jwt
from fastapi import FastAPI, Header, HTTPException

SECRET = os.environ["COFEE_JWT_SECRET"]
DATABASE_URL = os.environ["COFEE_DATABASE_URL"]

app = FastAPI()


@app.on_event("startup")
async def connect():
    # Ten connections, as `cofee api`'s pool has by default.
    app.state.pool = await asyncpg.create_pool(DATABASE_URL, min_size=10, max_size=10)


def caller(authorization: str | None) -> uuid.UUID:
    if not authorization or not authorization.startswith("Bearer "):
        raise HTTPException(401, "sign in")
    try:
        claims = jwt.decode(
            authorization[7:], SECRET, algorithms=["HS256"], issuer="cofee", audience="cofee-api", leeway=5
        )
        return uuid.UUID(claims["sub"])
    except (jwt.PyJWTError, KeyError, ValueError):
        raise HTTPException(401, "the access token is invalid or expired")


@app.get("/api/projects/{project_id}")
async def get_project(project_id: uuid.UUID, authorization: str | None = Header(None)):
    user = caller(authorization)
    async with app.state.pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT id, owner_id, name, created_at, updated_at FROM projects WHERE id = $1 AND owner_id = $2",
            project_id,
            user,
        )
    if row is None:
        raise HTTPException(404, "no such project")
    return {
        "id": str(row["id"]),
        "owner_id": str(row["owner_id"]),
        "name": row["name"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }
