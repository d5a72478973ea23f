"""Rules and queries of the access model. Services take a session and an actor and never commit.

Every read goes through :func:`stadsvakt.auth.scope.restrict`; every change writes
one audit row and, when it can alter a decision, appends to the change feed
(:func:`stadsvakt.access.changes.note_change`) in the same transaction.
"""
