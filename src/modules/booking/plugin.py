from platform_core.plugins import ModulePlugin, PeriodicTask

plugin = ModulePlugin(
    name="booking",
    app="modules.booking.apps.BookingConfig",
    label="booking",
    prefix="booking/",
    router="modules.booking.api:router",
    schema_docs="modules.booking.schemas:FIELD_DOCS",
    description="Tratamientos, terapeutas, disponibilidad y citas",
    queues=("appointments",),
    task_routes={"booking.*": "appointments"},
    periodic_tasks=(
        PeriodicTask(
            name="booking: expire unpaid holds",
            task="booking.expire_holds",
            every_seconds=60,
            queue="appointments",
        ),
        PeriodicTask(
            name="booking: waitlist offers cascade",
            task="booking.waitlist_cascade",
            every_seconds=60,
            queue="appointments",
        ),
        PeriodicTask(
            name="booking: no-show and late-cancellation fees",
            task="booking.charge_due_fees",
            every_seconds=300,
            queue="appointments",
        ),
        PeriodicTask(
            name="booking: appointment reminders",
            task="booking.send_reminders",
            every_seconds=300,
            queue="appointments",
        ),
    ),
    # An unknown service/therapist named in the query or body; Wompi called in the request.
    error_statuses={
        "GET availability/": (404,),
        "POST appointments/": (404, 503),
        "POST appointments/{appointment_id}/checkout/": (503,),
        # Front desk: an unknown therapist filter; a desk booking or payment link opens a
        # Wompi checkout.
        "GET desk/calendar/": (404,),
        "POST desk/appointments/": (404, 503),
        "POST desk/appointments/{appointment_id}/payment-link/": (503,),
        # Waitlist: an unknown service/therapist; accepting books (a deposit's checkout).
        "POST waitlist/": (404,),
        "POST waitlist/offers/{offer_id}/accept/": (404, 503),
    },
    exporter="modules.booking.personal_data:export_user",
    eraser="modules.booking.personal_data:erase_user",
    assistant_tools="modules.booking.assistant_tools:get_tools",
    # A waitlist offer sent by WhatsApp is a question the client's next "sí"/"no" answers.
    assistant_questions="modules.booking.assistant_tools:offer_question",
    seed_demo="modules.booking.demo:seed",
    payment_purposes={
        "booking.appointment": "Reservas",
        "booking.fee": "Cargos por inasistencia y cancelación tardía",
    },
    payment_handlers={
        "booking.appointment": "modules.booking.payment_handlers:handle",
        "booking.fee": "modules.booking.payment_handlers:handle_fee",
    },
    dashboard="modules.booking.dashboard:section",
    admin_index="modules.booking.dashboard:index_cards",
    role_permissions={
        "therapist": ("booking.view_*",),
        "reception": ("booking.view_*", "booking.add_*", "booking.change_*"),
        "admin": ("booking.*",),
    },
    order=30,
)
