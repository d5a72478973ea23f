"""Directory services: people, assignments, groups, training records. Callers commit.

Every read goes through :func:`stadsvakt.auth.scope.restrict`; every change writes
an audit row and a change-feed entry (:func:`stadsvakt.access.changes.note_change`)
in the caller's transaction. Change-feed entities: ``person``, ``assignment``,
``group``, ``training``, and ``grant`` / ``credential`` when a deactivation
ends them.
"""

from stadsvakt.directory.service._common import local_today
from stadsvakt.directory.service.assignments import (
    current_assignments,
    list_assignments,
    main_assignment,
    refresh_home_unit,
    set_assignments,
)
from stadsvakt.directory.service.groups import (
    create_group,
    delete_group,
    get_group,
    list_groups,
    member_ids,
    set_group_members,
    update_group,
)
from stadsvakt.directory.service.people import (
    PEOPLE_SORTS,
    create_person,
    find_person_by,
    get_person,
    list_people,
    update_person,
)
from stadsvakt.directory.service.revoke import (
    deactivate_person,
    delete_person,
    revoke_everything,
)
from stadsvakt.directory.service.training import (
    add_training,
    find_training,
    list_training,
    set_training_expiry,
)

__all__ = [
    "PEOPLE_SORTS",
    "add_training",
    "create_group",
    "create_person",
    "current_assignments",
    "deactivate_person",
    "delete_group",
    "delete_person",
    "find_person_by",
    "find_training",
    "get_group",
    "get_person",
    "list_assignments",
    "list_groups",
    "list_people",
    "list_training",
    "local_today",
    "main_assignment",
    "member_ids",
    "refresh_home_unit",
    "revoke_everything",
    "set_assignments",
    "set_group_members",
    "set_training_expiry",
    "update_group",
    "update_person",
]
