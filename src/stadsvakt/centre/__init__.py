"""The safety centre (trygghetscentral): the queue where alarms are handled.

Alarm reception (:mod:`stadsvakt.alarms`) stores every event in the log and announces
it; the centre's intake (:mod:`stadsvakt.centre.intake`) turns those that need a person
into activations in the same transaction. Importing this package installs that reaction.
"""

from stadsvakt import events
from stadsvakt.centre import intake

events.react(events.AlarmsStored, intake.take_in)
