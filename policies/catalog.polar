# The course catalog: courses and their dated sessions. Everyone reads the catalog (no rule
# is needed for that); changing it is the back office's work.

# Staff create and edit courses and sessions (dates, city, capacity), close a session to
# new bookings, and see the courses taken out of the catalog (inactive).
allow(viewer: Viewer, "manage_catalog", viewer: Viewer) if is_staff(viewer);

# Staff cancel a session: its orders not invoiced yet are cancelled with it, and each
# registrant is offered the coming sessions of the course by mail.
allow(viewer: Viewer, "cancel_session", viewer: Viewer) if is_staff(viewer);
