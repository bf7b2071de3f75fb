"""The live class board of a workshop: `shiplings board serve` (the instructor's server) and
the learner's side of it (`shiplings join`, and the outbox that reports each check).

Nothing is imported here on purpose: the check command imports shiplings.board.outbox,
which must stay a few standard-library lines, and must not pay for FastAPI.
"""
