"""The demo city: a fictional municipality, Sundby kommun, to try stadsvakt on localhost.

``stadsvakt demo`` builds a fresh SQLite database, seeds it through the services
(so the audit trail records every row) and serves it. Glossary: kommun —
municipality; förvaltning — department; enhet — unit; fastighetsägare — property
owner.
"""
