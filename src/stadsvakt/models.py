"""Every table, imported in one place so Alembic and the tests see the whole metadata."""

from stadsvakt.access.models import (
    AccessChange,
    AccessEvent,
    AccessProfile,
    Credential,
    Door,
    Grant,
    HolidayCalendar,
    PositionProfile,
    ProfileZone,
    Schedule,
    ServiceLevel,
    SiteService,
    Zone,
)
from stadsvakt.alarms.models import Alarm, Transmitter
from stadsvakt.audit.models import AuditEntry, AuditHead
from stadsvakt.auth.models import ApiToken, LoginAttempt, Role, RoleAssignment, User, WebSession
from stadsvakt.centre.cameras.models import Camera, Snapshot, SnapshotView
from stadsvakt.centre.models import (
    Activation,
    ActivationEntry,
    QueueChange,
    QueueHead,
    ServedMunicipality,
    TestWindow,
)
from stadsvakt.centre.plans.models import ActionPlan, PlanVersion, SentSms, SiteContact
from stadsvakt.centre.receiving import Receiver
from stadsvakt.centre.site_info import SiteNote
from stadsvakt.centre.situation import OfficerNotice
from stadsvakt.centre.tasks import TaskSchedule, TaskVisit
from stadsvakt.centre.units.models import Dispatch, FieldUnit, GpsPosition
from stadsvakt.db import Base
from stadsvakt.directory.models import Assignment, Group, GroupMember, Person, TrainingRecord
from stadsvakt.edge.devices.models import EdgeDevice, EdgeDeviceDoor, EnrolmentCode
from stadsvakt.edge.ingest.models import EdgeEvent
from stadsvakt.org.models import Municipality, OrgUnit, Site

__all__ = [
    "Camera",
    "Snapshot",
    "SnapshotView",
    "Activation",
    "ActivationEntry",
    "QueueChange",
    "QueueHead",
    "ServedMunicipality",
    "TestWindow",
    "OfficerNotice",
    "TaskSchedule",
    "TaskVisit",
    "Receiver",
    "SiteNote",
    "ActionPlan",
    "PlanVersion",
    "SentSms",
    "SiteContact",
    "Dispatch",
    "FieldUnit",
    "GpsPosition",
    "EdgeDevice",
    "EdgeEvent",
    "EdgeDeviceDoor",
    "EnrolmentCode",
    "Alarm",
    "Transmitter",
    "AccessChange",
    "AccessEvent",
    "AccessProfile",
    "Assignment",
    "Credential",
    "Door",
    "Grant",
    "Group",
    "GroupMember",
    "HolidayCalendar",
    "Person",
    "PositionProfile",
    "ProfileZone",
    "Schedule",
    "ServiceLevel",
    "SiteService",
    "TrainingRecord",
    "Zone",
    "ApiToken",
    "AuditEntry",
    "AuditHead",
    "Base",
    "LoginAttempt",
    "Municipality",
    "OrgUnit",
    "Role",
    "RoleAssignment",
    "Site",
    "User",
    "WebSession",
]
