"""Roles are Django groups; these are their names."""

CLIENT = "client"
THERAPIST = "therapist"
RECEPTION = "reception"
ADMIN = "admin"
ALL_ROLES = (CLIENT, THERAPIST, RECEPTION, ADMIN)
STAFF_ROLES = (THERAPIST, RECEPTION, ADMIN)

# What each role may do is declared by each module in its plugin (``role_permissions``:
# "reception may change bookings"), not here: identity only knows the role names, and
# grants the union of the plugins' declarations after every migrate
# (staff.sync_role_permissions). A new module's staff permissions need no edit here.
