from django.apps import AppConfig


class BookingConfig(AppConfig):
    name = "modules.booking"
    label = "booking"
    verbose_name = "Reservas"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from modules.booking import models, receivers
        from platform_core.versioning import connect_writes

        # Any change to what availability is computed from invalidates cached searches
        # (admin edits included); appointment writes bump through the services too.
        connect_writes(
            receivers.schedule_changed,
            (
                models.Service,
                models.Therapist,
                models.WorkingHours,
                models.TherapistBreak,
                models.TimeOff,
                models.ScheduleChange,
                models.OpeningHours,
                models.ClosedDay,
                models.Room,
                models.Appointment,
            ),
            through=(models.Service.therapists.through,),
            uid="booking.availability",
        )
        # What the public catalog shows (categories, services, therapists) keys its ETags.
        connect_writes(
            receivers.catalog_changed,
            (models.ServiceCategory, models.Service, models.Therapist),
            through=(models.Service.therapists.through,),
            uid="booking.catalog",
        )
        # Freed time goes to the waitlist (after commit), including a schedule change's.
        from django.db.models.signals import post_delete, post_save

        from modules.booking import freeing

        freeing.time_freed.connect(receivers.offer_freed_time, dispatch_uid="booking.wait.freed")

        post_save.connect(
            receivers.schedule_opened,
            sender=models.ScheduleChange,
            dispatch_uid="booking.wait.change",
        )
        post_delete.connect(
            receivers.schedule_opened,
            sender=models.ScheduleChange,
            dispatch_uid="booking.wait.unchange",
        )
        post_delete.connect(
            receivers.schedule_opened, sender=models.TimeOff, dispatch_uid="booking.wait.timeoff"
        )
