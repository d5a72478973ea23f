"""The safety centre (trygghetscentral): the queue where alarms are handled.

Alarm reception (:mod:`stadsvakt.alarms`) stores every event in the log and announces
it; the centre's intake (:mod:`stadsvakt.centre.intake`) turns those that need a person
into activations in the same transaction, and the positions personal alarms carry go on
their trails (:mod:`stadsvakt.centre.positions`). Importing this package installs both
reactions.
"""

from stadsvakt import events
from stadsvakt.centre import intake, positions

events.react(events.AlarmsStored, intake.take_in)
events.react(events.AlarmsStored, positions.take_in_alarms)
