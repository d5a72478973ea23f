"""Action plans (åtgärdsplaner): the routine an operator follows for an activation.

:mod:`.models` holds the tables, :mod:`.steps` the step kinds (pure), :mod:`.service`
the rules: resolving the plan for an activation, versions, steps done, the close guard.
Site contacts and keyholders live in :mod:`stadsvakt.centre.contacts`, the notifiers in
:mod:`stadsvakt.centre.notify`.
"""
