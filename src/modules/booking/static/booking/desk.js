/* StudioZens front desk: the calendar inside the Django admin.
 * Data and actions go through /api/booking/desk/ (admin session + CSRF token);
 * every rule lives on the server, this file only draws and asks. */
(function () {
  "use strict";
  const cfg = JSON.parse(document.getElementById("desk-config").textContent);
  const api = cfg.api; // "/api/booking/desk/"
  const T = cfg.text; // staff-facing strings, translated by Django (admin_views.desk_text)
  // "Pendiente {amount}" + {amount: "$ 62.000"}: fills a translated string's placeholders.
  function fmt(text, values) {
    return text.replace(/\{(\w+)\}/g, (m, k) => (k in values ? values[k] : m));
  }
  const $ = (sel, root) => (root || document).querySelector(sel);
  const alertBox = $("#desk-alert");
  let current = null; // the appointment open in the dialog
  let feed = null;

  function pad(n) { return String(n).padStart(2, "0"); }
  function ymd(d) { return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()); }
  function hm(d) { return pad(d.getHours()) + ":" + pad(d.getMinutes()); }
  // Times are Bogotá wall-clock (UTC-5 all year: no daylight saving).
  function bogota(day, time) { return day + "T" + time + ":00-05:00"; }
  // "sáb, 5 dic, 16:00" in Bogotá, for a moment the API sends with its offset.
  function when(iso) {
    return new Date(iso).toLocaleString("es-CO", { timeZone: "America/Bogota", weekday: "short", day: "numeric",
      month: "short", hour: "2-digit", minute: "2-digit", hour12: false });
  }
  // "+573001234567" as a receptionist dials it: "300 123 4567" (other numbers as they are).
  function phone(e164) {
    const m = /^\+57(\d{3})(\d{3})(\d{4})$/.exec(e164 || "");
    return m ? m[1] + " " + m[2] + " " + m[3] : (e164 || "");
  }
  function pesos(cents) { return "$ " + Math.floor(cents / 100).toLocaleString("es-CO"); }

  function showAlert(msg, kind) {
    alertBox.textContent = msg;
    alertBox.className = "desk-alert " + (kind || "error");
    alertBox.hidden = false;
    clearTimeout(showAlert.t);
    showAlert.t = setTimeout(() => { alertBox.hidden = true; }, 8000);
  }

  async function call(method, path, body) {
    const res = await fetch(api + path, {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": cfg.csrf },
      body: body ? JSON.stringify(body) : undefined,
    });
    let data = null;
    try { data = await res.json(); } catch (e) { data = null; }
    if (!res.ok) {
      const error = (data && data.error) || {};
      const err = new Error(error.message || T.failed);
      err.details = error.details || []; // a 422 says which field is wrong (describe())
      err.status = res.status;
      err.data = data;
      throw err;
    }
    return data;
  }

  // An error for the receptionist: the API's Spanish message, and for a 422 each wrong
  // field by its label in ``form`` ("Teléfono: El formato no es válido.").
  function describe(err, form) {
    const parts = (err.details || []).filter((d) => d.message).map(function (d) {
      const input = form && d.field ? form.querySelector('[name="' + d.field + '"]') : null;
      const label = input && input.closest("label") ? input.closest("label").firstChild.textContent.trim() : "";
      return (label ? label + ": " : "") + d.message;
    });
    return [err.message].concat(parts).join(" ");
  }

  // --- calendar ----------------------------------------------------------------------------
  const el = $("#desk-calendar");
  const ec = (window.deskCalendar = EventCalendar.create(el, {
    view: "resourceTimeGridDay",
    timeZone: "-05:00",
    locale: "es",
    firstDay: 1,
    headerToolbar: { start: "", center: "", end: "" },
    allDaySlot: false,
    slotDuration: "00:15",
    slotLabelInterval: "01:00",
    slotHeight: 22,
    nowIndicator: true,
    editable: cfg.desk,
    eventDurationEditable: false,
    selectable: false,
    height: "auto",
    date: cfg.today,
    resources: [],
    events: [],
    eventTimeFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
    slotLabelFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
    dayHeaderFormat: { weekday: "long", day: "numeric", month: "long" },
    eventContent: function (info) {
      const p = info.event.extendedProps || {};
      if (info.event.display === "background") { return info.event.title || ""; }
      const room = p.room ? " · " + p.room : "";
      // A no-show or a cancellation owes nothing more: "Pagada" would read as paid in full.
      const settled = ["NO_SHOW", "CANCELLED", "EXPIRED"].indexOf(p.status) >= 0;
      const due = p.due_cents > 0 ? '<span class="desk-due">' + esc(fmt(T.due, { amount: p.due })) + "</span>"
        : !settled ? '<span class="desk-paid">' + esc(T.paid_full) + "</span>"
        : p.paid_cents > 0 ? '<span class="desk-paid">' + esc(fmt(T.paid_part, { amount: p.paid })) + "</span>"
        : esc(T.no_payment);
      return { html: processingBands(info.event, p.phases) + '<div class="desk-ev"><b>' + info.timeText + "</b> " + esc(info.event.title) +
        '<div class="desk-ev-sub">' + esc(p.status_label || "") + esc(room) + " · " + due + "</div></div>" };
    },
    dateClick: function (info) {
      if (!cfg.desk) { return; }
      const rid = info.resource ? info.resource.id : (feed && feed.therapist_only) || "";
      openBook(ymd(info.date), hm(info.date), rid);
    },
    eventClick: function (info) {
      if (info.event.display === "background") { return; }
      openAppointment(info.event);
    },
    eventDrop: async function (info) {
      const start = bogota(ymd(info.event.start), hm(info.event.start));
      const body = { start: start };
      if (info.newResource) { body.therapist = info.newResource.id; }
      try {
        await call("POST", "appointments/" + info.event.id + "/move/", body);
        showAlert(T.moved, "ok");
        load();
      } catch (err) {
        info.revert();
        showAlert(err.message);
      }
    },
  }));

  // Processing time: the phase in which the therapist is free (the room is not) is drawn
  // as a hatched band across the event, at its share of the event's length.
  function processingBands(event, phases) {
    if (!phases || phases.length < 2) { return ""; }
    const t0 = new Date(event.start).getTime();
    const span = new Date(event.end).getTime() - t0;
    if (!(span > 0)) { return ""; }
    return phases.filter(function (ph) { return ph.kind === "processing"; }).map(function (ph) {
      const top = 100 * (new Date(ph.start).getTime() - t0) / span;
      const height = 100 * (new Date(ph.end).getTime() - new Date(ph.start).getTime()) / span;
      return '<div class="desk-processing" title="' + esc(T.processing) + '" style="top:' +
        top.toFixed(2) + "%;height:" + height.toFixed(2) + '%"></div>';
    }).join("");
  }

  function esc(s) {
    return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  }

  function params() {
    const q = new URLSearchParams();
    q.set("date", $("#desk-date").value || cfg.today);
    q.set("view", $("#desk-view").value);
    const t = $("#desk-therapist");
    if (t && t.value) { q.set("therapist", t.value); }
    if ($("#desk-room").value) { q.set("room", $("#desk-room").value); }
    if ($("#desk-service").value) { q.set("service", $("#desk-service").value); }
    if ($("#desk-cancelled").checked) { q.set("show_cancelled", "true"); }
    return q;
  }

  async function load() {
    try {
      feed = await call("GET", "calendar/?" + params().toString());
    } catch (err) {
      showAlert(err.message);
      return;
    }
    const week = feed.view === "week";
    ec.setOption("view", week ? "timeGridWeek" : "resourceTimeGridDay");
    ec.setOption("slotMinTime", feed.slot_min);
    ec.setOption("slotMaxTime", feed.slot_max);
    ec.setOption("resources", feed.resources);
    ec.setOption("events", feed.events);
    ec.setOption("date", feed.date);
    const d = new Date(feed.date + "T12:00:00");
    const title = week
      ? fmt(T.week_of, { date: d.toLocaleDateString("es-CO", { day: "numeric", month: "long", year: "numeric" }) }) +
        (feed.resources.length ? " · " + feed.resources[0].title : "")
      : d.toLocaleDateString("es-CO", { weekday: "long", day: "numeric", month: "long", year: "numeric" });
    $("#desk-title").textContent = title + (feed.closed.length ? " · " + T.closed : "") +
      (feed.resources.length ? "" : " · " + T.nobody_works);
    $("#desk-legend").innerHTML = feed.legend
      .filter((l) => l.status !== "CANCELLED" || $("#desk-cancelled").checked)
      .map((l) => '<span><i style="background:' + l.color + '"></i>' + esc(l.label) + "</span>").join("") +
      '<span><i class="desk-off"></i>' + esc(T.off_shift) + "</span>";
    renderWaitlist(feed.waitlist || []);
  }

  // The day's waitlist (reception): who waits, for what, and the offer they hold.
  function renderWaitlist(rows) {
    const box = $("#desk-waitlist");
    if (!box) { return; }
    box.hidden = rows.length === 0;
    box.innerHTML = rows.length === 0 ? "" : "<h3>" + esc(fmt(T.waitlist, { count: rows.length })) + "</h3><ol>" +
      rows.map(function (w) {
        const window_ = w.time_from || w.time_to ? " · " + (w.time_from || "…") + "–" + (w.time_to || "…") : "";
        const who = w.therapist ? " · " + esc(fmt(T.with_therapist, { name: w.therapist })) : "";
        const offer = w.offer ? " · <b>" + esc(fmt(T.offer, { start: w.offer.start.slice(11, 16),
          until: w.offer.expires_at.slice(11, 16) })) + "</b>" : "";
        return "<li>" + esc(w.client) + " (" + esc(phone(w.client_phone)) + ") · " + esc(w.service_name) +
          who + window_ + " · " + esc(fmt(T.date_range, { start: w.date_from, end: w.date_to })) + offer + "</li>";
      }).join("") + "</ol>";
  }

  function shift(days) {
    const d = new Date(($("#desk-date").value || cfg.today) + "T12:00:00");
    d.setDate(d.getDate() + days * ($("#desk-view").value === "week" ? 7 : 1));
    $("#desk-date").value = ymd(d);
    load();
  }
  $("#desk-prev").addEventListener("click", () => shift(-1));
  $("#desk-next").addEventListener("click", () => shift(1));
  $("#desk-today").addEventListener("click", () => { $("#desk-date").value = cfg.today; load(); });
  ["#desk-date", "#desk-view", "#desk-therapist", "#desk-room", "#desk-service", "#desk-cancelled"].forEach((s) => {
    const node = $(s);
    if (node) { node.addEventListener("change", load); }
  });

  // --- booking -------------------------------------------------------------------------------
  const dlgBook = $("#dlg-book");
  const bookForm = $("#book-form");
  function formError(form, msg) {
    const box = $(".desk-error", form);
    box.textContent = msg || "";
    box.hidden = !msg;
  }
  function openBook(day, time, therapist) {
    bookForm.reset();
    formError(bookForm, "");
    bookForm.day.value = day;
    bookForm.time.value = time;
    bookForm.therapist.value = therapist || "";
    bookForm.client.value = "";
    $("#book-results").innerHTML = "";
    $("#book-slot-list").innerHTML = "";
    toggleWho();
    dlgBook.showModal();
  }
  function toggleWho() {
    const isNew = bookForm.who.value === "new";
    $("#book-new").hidden = !isNew;
    $("#book-existing").hidden = isNew;
  }
  bookForm.querySelectorAll('input[name="who"]').forEach((r) => r.addEventListener("change", toggleWho));
  // The receptionist is fixing what the last error said: it no longer applies.
  bookForm.addEventListener("input", () => formError(bookForm, ""));
  const newBtn = $("#desk-new");
  if (newBtn) {
    newBtn.addEventListener("click", () => openBook($("#desk-date").value || cfg.today, "10:00", ""));
  }
  let searchTimer = null;
  $("#book-search").addEventListener("input", (e) => {
    clearTimeout(searchTimer);
    const q = e.target.value.trim();
    searchTimer = setTimeout(async () => {
      if (q.length < 2) { $("#book-results").innerHTML = ""; return; }
      try {
        const rows = await call("GET", "clients/?q=" + encodeURIComponent(q));
        $("#book-results").innerHTML = rows.length
          ? rows.map((r) => '<button type="button" class="desk-result" data-id="' + r.id + '">' + esc(r.name) + " · " + esc(phone(r.phone)) + "</button>").join("")
          : "<em>" + esc(T.no_results) + "</em>";
      } catch (err) { formError(bookForm, err.message); }
    }, 250);
  });
  $("#book-results").addEventListener("click", (e) => {
    const b = e.target.closest(".desk-result");
    if (!b) { return; }
    bookForm.client.value = b.dataset.id;
    $("#book-results").querySelectorAll(".desk-result").forEach((x) => x.classList.toggle("selected", x === b));
  });
  $("#book-slots").addEventListener("click", async () => {
    const q = new URLSearchParams({ service: bookForm.service.value, date_from: bookForm.day.value, date_to: bookForm.day.value });
    if (bookForm.therapist.value) { q.set("therapist", bookForm.therapist.value); }
    try {
      const res = await fetch("/api/booking/availability/?" + q.toString());
      const data = await res.json();
      if (!res.ok) { throw new Error((data.error && data.error.message) || T.failed); }
      $("#book-slot-list").innerHTML = data.slots.length
        ? data.slots.map((s) => '<button type="button" class="desk-slot" data-t="' + s.start.slice(11, 16) + '">' + s.start.slice(11, 16) + "</button>").join("")
        : "<em>" + esc(T.no_slots) + "</em>";
    } catch (err) { formError(bookForm, err.message); }
  });
  $("#book-slot-list").addEventListener("click", (e) => {
    const b = e.target.closest(".desk-slot");
    if (!b) { return; }
    bookForm.time.value = b.dataset.t;
    $("#book-slot-list").querySelectorAll(".desk-slot").forEach((x) => x.classList.toggle("selected", x === b));
  });
  $("#book-submit").addEventListener("click", async () => {
    formError(bookForm, "");
    // An empty date or time would reach the API as a malformed start ("ISO 8601").
    if (!bookForm.day.value || !bookForm.time.value) { formError(bookForm, T.when_required); return; }
    const body = {
      service: bookForm.service.value,
      start: bogota(bookForm.day.value, bookForm.time.value),
      notes: bookForm.notes.value,
    };
    if (bookForm.therapist.value) { body.therapist = bookForm.therapist.value; }
    if (bookForm.who.value === "new") {
      body.phone = bookForm.phone.value;
      body.first_name = bookForm.first_name.value;
      body.last_name = bookForm.last_name.value;
    } else if (bookForm.client.value) {
      body.client = bookForm.client.value;
    }
    try {
      const out = await call("POST", "appointments/", body);
      dlgBook.close();
      showAlert(out.new_client ? T.booked_invited : T.booked, "ok");
      load();
    } catch (err) { formError(bookForm, describe(err, bookForm)); }
  });

  // --- one appointment -------------------------------------------------------------------------
  const dlg = $("#dlg-appt");
  const form = $("#appt-form");
  function fill(state) {
    current.state = state;
    $("#appt-status").textContent = state.status_label;
    $("#appt-status").className = "desk-badge sz-" + state.status.toLowerCase();
    $("#appt-price").textContent = state.vip_price_applied ? fmt(T.vip_price, { price: state.price }) : state.price;
    $("#appt-deposit").textContent = state.deposit_cents ? state.deposit : T.no_deposit;
    $("#appt-paid").textContent = state.paid;
    $("#appt-due").textContent = state.due;
    form.staff_notes.value = state.staff_notes || "";
    $("#appt-actions").innerHTML = state.actions
      .map((a) => '<button type="button" class="button desk-act" data-act="' + esc(a) + '">' + esc(T[a] || a) + "</button>").join(" ");
    ["#appt-pay", "#appt-move", "#appt-cancel", "#appt-notes"].forEach((s) => { $(s).hidden = true; });
    renderFees(state.fees);
  }

  // --- fees (no-show / late cancellation): waive one not charged yet, refund a charged one.
  // The server lists, per fee, what this user may do now (reception and admin only).
  let feeAction = null; // { id, act } while the reason is asked for
  function renderFees(list) {
    const box = $("#appt-fees");
    $("#appt-fee-form").hidden = true;
    feeAction = null;
    box.hidden = !list || list.length === 0;
    $("#appt-fee-rows").innerHTML = (list || []).map(function (f) {
      const why = f.waive_reason || f.refund_reason;
      const open = f.status === "DUE" || f.status === "UNPAID";
      const notes = why ? [fmt(T.fee_reason, { reason: why })] : open ? [f.last_error] : [];
      if (f.status === "DUE" && f.next_try_at) { notes.push(fmt(T.fee_next_try, { when: when(f.next_try_at) })); }
      const note = notes.filter(Boolean).join(" · ");
      const buttons = (f.actions || []).map((a) => '<button type="button" class="button desk-fee-act" data-fee="' +
        esc(f.id) + '" data-act="' + esc(a) + '" data-amount="' + esc(f.amount) + '">' + esc(T[a]) + "</button>").join(" ");
      return '<tr data-fee="' + esc(f.id) + '"><th>' + esc(f.kind_label) + '</th><td class="desk-fee-amount">' + esc(f.amount) +
        '</td><td><span class="desk-fee-state sz-fee-' + esc(f.status.toLowerCase()) + '">' + esc(f.status_label) + "</span>" +
        (note ? '<div class="desk-fee-note">' + esc(note) + "</div>" : "") + '</td><td class="desk-fee-buttons">' + buttons + "</td></tr>";
    }).join("");
  }
  function message(msg, ok) {
    const err = $(".desk-error", form), good = $(".desk-ok", form);
    err.hidden = ok || !msg; good.hidden = !ok || !msg;
    (ok ? good : err).textContent = msg || "";
  }
  async function openAppointment(event) {
    const p = event.extendedProps;
    current = { id: event.id };
    message("");
    $("#appt-title").textContent = event.title;
    $("#appt-when").textContent = hm(event.start) + "–" + hm(event.end) + " · " + p.therapist + (p.room ? " · " + p.room : "") + (p.client_phone ? " · " + phone(p.client_phone) : "");
    $("#appt-admin").href = cfg.admin_change.replace("00000000-0000-0000-0000-000000000000", event.id);
    fill({ ...p, id: event.id });
    form.move_day.value = ymd(event.start);
    form.move_time.value = hm(event.start);
    dlg.showModal();
    // The feed carries no fees: the appointment's own state does. Only the fees are drawn
    // from it, so a panel opened meanwhile (move, cancel…) stays open.
    const id = event.id;
    call("GET", "appointments/" + id + "/").then((s) => {
      if (current && current.id === id) { current.state.fees = s.fees; renderFees(s.fees); }
    }, (err) => { if (current && current.id === id) { message(err.message, false); } });
  }
  async function act(path, body, okMsg) {
    try {
      await call("POST", "appointments/" + current.id + "/" + path, body);
      await refresh();
      message(okMsg, true);
      load();
    } catch (err) { message(describe(err, form), false); }
  }
  async function refresh() {
    try { fill(await call("GET", "appointments/" + current.id + "/")); } catch (err) { message(err.message, false); }
  }
  async function previewCancel() {
    try {
      const p = await call("GET", "appointments/" + current.id + "/cancel/?by=" + form.cancel_by.value);
      $("#cancel-preview").textContent = p.message;
    } catch (err) { $("#cancel-preview").textContent = err.message; }
  }
  form.querySelectorAll('input[name="cancel_by"]').forEach((r) => r.addEventListener("change", previewCancel));
  $("#appt-actions").addEventListener("click", (e) => {
    const b = e.target.closest(".desk-act");
    if (!b) { return; }
    const a = b.dataset.act;
    // One action's panel at a time (a move form under an open cancellation confused).
    ["#appt-pay", "#appt-move", "#appt-cancel", "#appt-notes"].forEach((sel) => { $(sel).hidden = true; });
    if (a === "check_in") { act("check-in/", null, T.checked_in); }
    if (a === "complete") { act("complete/", null, T.completed); }
    if (a === "no_show") {
      if (confirm(T.no_show_confirm)) { act("no-show/", null, T.marked_no_show); }
    }
    if (a === "payment_link") {
      call("POST", "appointments/" + current.id + "/payment-link/").then(
        (r) => message(fmt(T.link_sent, { amount: pesos(r.amount_cents) }), true),
        (err) => message(err.message, false));
    }
    if (a === "pay") {
      $("#appt-pay").hidden = false;
      form.amount.value = Math.floor((current.state.due_cents || 0) / 100) || "";
    }
    if (a === "move") { $("#appt-move").hidden = false; }
    if (a === "cancel") { $("#appt-cancel").hidden = false; previewCancel(); }
    if (a === "notes") { $("#appt-notes").hidden = false; }
  });
  $("#pay-submit").addEventListener("click", () => {
    const pesosValue = parseInt(form.amount.value, 10);
    if (!(pesosValue > 0)) { message(T.amount_required, false); return; }
    act("payments/", { amount_cents: pesosValue * 100, method: form.method.value }, T.paid);
  });
  $("#move-submit").addEventListener("click", () => {
    if (!form.move_day.value || !form.move_time.value) { message(T.when_required, false); return; }
    const body = { start: bogota(form.move_day.value, form.move_time.value) };
    if (form.move_therapist.value) { body.therapist = form.move_therapist.value; }
    act("move/", body, T.moved);
  });
  $("#cancel-submit").addEventListener("click", () => {
    act("cancel/", { by: form.cancel_by.value, reason: form.cancel_reason.value }, T.cancelled);
  });
  $("#notes-submit").addEventListener("click", () => {
    act("notes/", { staff_notes: form.staff_notes.value }, T.notes_saved);
  });

  $("#appt-fee-rows").addEventListener("click", (e) => {
    const b = e.target.closest(".desk-fee-act");
    if (!b) { return; }
    feeAction = { id: b.dataset.fee, act: b.dataset.act };
    $("#fee-form-title").textContent = fmt(T[feeAction.act + "_title"], { amount: b.dataset.amount });
    $("#fee-submit").textContent = T[feeAction.act + "_confirm"];
    $("#fee-submit").className = "button " + (feeAction.act === "refund" ? "desk-danger" : "default");
    form.fee_reason.value = "";
    message("");
    $("#appt-fee-form").hidden = false;
    form.fee_reason.focus();
  });
  $("#fee-cancel").addEventListener("click", () => { $("#appt-fee-form").hidden = true; feeAction = null; });
  $("#fee-submit").addEventListener("click", async () => {
    if (!feeAction) { return; }
    const reason = form.fee_reason.value.trim();
    if (!reason) { message(T.reason_required, false); form.fee_reason.focus(); return; }
    const button = $("#fee-submit");
    const done = feeAction.act === "waive" ? T.waived : T.refunded;
    button.disabled = true; // one click, one request
    try {
      await call("POST", "fees/" + feeAction.id + "/" + feeAction.act + "/", { reason: reason });
      await refresh();
      message(done, true);
    } catch (err) {
      await refresh(); // the fee may have moved on meanwhile (charged, waived by another desk)
      message(describe(err, form), false);
    } finally { button.disabled = false; }
  });
  // Enter in a text field would submit the dialog's form, which closes the dialog.
  form.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && e.target.tagName === "INPUT") { e.preventDefault(); }
  });

  if (cfg.open) {
    // Opened from an appointment's admin page: go to its day and show it.
    call("GET", "appointments/" + cfg.open + "/").then(async (s) => {
      $("#desk-date").value = new Date(s.start).toLocaleDateString("en-CA", { timeZone: "America/Bogota" });
      await load();
      const ev = ec.getEventById(cfg.open);
      if (ev) { openAppointment(ev); }
    }, () => load());
  } else {
    load();
  }
  setInterval(load, 60000); // the now line and other desks' changes
})();
