"""Tasks: a small team task board, as a FastAPI package (run: uvicorn app.main:app)."""
