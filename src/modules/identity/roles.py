"""Roles are Django groups; these are their names."""

CLIENT = "client"
THERAPIST = "therapist"
RECEPTION = "reception"
ADMIN = "admin"
ALL_ROLES = (CLIENT, THERAPIST, RECEPTION, ADMIN)
STAFF_ROLES = (THERAPIST, RECEPTION, ADMIN)
