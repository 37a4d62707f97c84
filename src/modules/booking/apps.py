from django.apps import AppConfig


class BookingConfig(AppConfig):
    name = "modules.booking"
    label = "booking"
    verbose_name = "Reservas"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from modules.booking import models, receivers
        from modules.payments import public as payments

        payments.payment_settled.connect(
            receivers.on_payment_settled, dispatch_uid="booking.settled"
        )
        payments.payment_failed.connect(receivers.on_payment_failed, dispatch_uid="booking.failed")
        # Any change to what availability is computed from invalidates cached searches
        # (admin edits included); appointment writes bump through the services too.
        for model in (
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
        ):
            post_save.connect(
                receivers.schedule_changed, sender=model, dispatch_uid=f"bk.s.{model.__name__}"
            )
            post_delete.connect(
                receivers.schedule_changed, sender=model, dispatch_uid=f"bk.d.{model.__name__}"
            )
        m2m_changed.connect(
            receivers.schedule_changed,
            sender=models.Service.therapists.through,
            dispatch_uid="bk.m2m.service_therapists",
        )
        # What the public catalog shows (categories, services, therapists) keys its ETags.
        for model in (models.ServiceCategory, models.Service, models.Therapist):
            post_save.connect(
                receivers.catalog_changed, sender=model, dispatch_uid=f"bk.cs.{model.__name__}"
            )
            post_delete.connect(
                receivers.catalog_changed, sender=model, dispatch_uid=f"bk.cd.{model.__name__}"
            )
        m2m_changed.connect(
            receivers.catalog_changed,
            sender=models.Service.therapists.through,
            dispatch_uid="bk.cm2m.service_therapists",
        )
