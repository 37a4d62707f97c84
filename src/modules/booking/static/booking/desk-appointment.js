/* The desk's actions on an appointment's admin page: same API as the calendar. */
(function () {
  "use strict";
  const cfg = JSON.parse(document.getElementById("desk-appt-config").textContent);
  const T = cfg.text; // staff-facing strings, translated by Django (admin_views.desk_text)
  const panel = document.getElementById("desk-panel");
  const errorBox = document.getElementById("desk-error");
  async function post(path, body) {
    errorBox.hidden = true;
    const res = await fetch(cfg.api + path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": cfg.csrf },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (res.ok) { window.location.reload(); return; }
    let msg = T.failed;
    try { msg = (await res.json()).error.message || msg; } catch (e) { /* keep the default */ }
    errorBox.textContent = msg;
    errorBox.hidden = false;
  }
  panel.addEventListener("click", (e) => {
    const b = e.target.closest("[data-post]");
    if (!b) { return; }
    if (b.dataset.confirm && !window.confirm(b.dataset.confirm)) { return; }
    post(b.dataset.post, b.dataset.body ? JSON.parse(b.dataset.body) : null);
  });
  const pay = document.getElementById("desk-pay");
  if (pay) {
    pay.addEventListener("click", () => {
      const pesos = parseInt(document.getElementById("desk-amount").value, 10);
      if (!(pesos > 0)) { errorBox.textContent = T.amount_required; errorBox.hidden = false; return; }
      post("payments/", { amount_cents: pesos * 100, method: document.getElementById("desk-method").value });
    });
  }
  const move = document.getElementById("desk-move");
  if (move) {
    move.addEventListener("click", () => {
      const day = document.getElementById("desk-move-day").value;
      const time = document.getElementById("desk-move-time").value;
      if (!day || !time) { errorBox.textContent = T.when_required; errorBox.hidden = false; return; }
      post("move/", { start: day + "T" + time + ":00-05:00" });
    });
  }
})();
