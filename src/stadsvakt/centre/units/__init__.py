"""Field units (fältenheter) of the safety centre: guards, security officers, safety hosts
and home-care responders; their status, their positions and the dispatches that send
them to an activation's site.

* :mod:`.models`: the tables (``field_units``, ``gps_positions``, ``dispatches``).
* :mod:`.schemas`: the API's input and output.
* :mod:`.service`: the units' register (create, change, list, status).

Dispatching lives in :mod:`stadsvakt.centre.dispatch`, positions and trails in
:mod:`stadsvakt.centre.positions`.
"""
