// The journey of a new client against a live server, through the package's own client:
// sign up -> one-time code from the development outbox -> verify -> book a treatment with a
// deposit -> pay it in the Wompi sandbox -> confirmed; then a shop order (with an
// Idempotency-Key) -> pay -> PAID. The refresh path runs for real too.
import { describe, expect, inject, it } from "vitest";

import {
  ApiRequestError,
  createStudioZensClient,
  idempotencyHeader,
  newIdempotencyKey,
  unwrap,
} from "../src/index";

const baseUrl = inject("baseUrl") || process.env.STUDIOZENS_BASE_URL || "";
if (!baseUrl) throw new Error("no live server: test/live-server.ts did not start one");
const phone = `+57300${String(Date.now()).slice(-7)}`;
const password = "Zen-Journey-2030!";

async function outboxCode(to: string): Promise<string> {
  for (let attempt = 0; attempt < 30; attempt += 1) {
    const response = await fetch(
      `${baseUrl}/api/core/dev/outbox?to=${encodeURIComponent(to)}&template=otp`,
    );
    const body = (await response.json()) as { items: { body: string }[] };
    const code = body.items[0]?.body.match(/\b(\d{6})\b/)?.[1];
    if (code) return code;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`no code for ${to} in the outbox`);
}

async function payInSandbox(checkoutUrl: string): Promise<void> {
  // The local sandbox's Web Checkout (WOMPI_ADAPTER=sandbox): the signed form plus a card
  // Wompi documents as approved.
  const url = new URL(checkoutUrl);
  const form = new URLSearchParams(url.searchParams);
  form.set("type", "CARD");
  form.set("number", "4242 4242 4242 4242");
  const response = await fetch(`${baseUrl}/api/finances/sandbox/p/`, {
    method: "POST",
    body: form,
    redirect: "manual",
  });
  expect([200, 201, 302]).toContain(response.status);
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  let value = await read();
  for (let attempt = 0; attempt < 60 && !done(value); attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    value = await read();
  }
  return value;
}

describe("a new client's journey", () => {
  const client = createStudioZensClient({ baseUrl });

  it("signs up and verifies the phone with the code from the outbox", async () => {
    const { response } = await client.api.POST("/api/users/register/", {
      body: {
        phone_number: phone,
        password,
        first_name: "Valentina",
        accept_terms: true,
        accept_data_policy: true,
      },
    });
    expect(response.status).toBe(202);
    const pair = await client.verifyPhone(phone, await outboxCode(phone));
    expect(pair.access).toBeTruthy();
    const me = unwrap(await client.api.GET("/api/users/me/", {}));
    expect(me.phone_number).toBe(phone);
  });

  it("refreshes an expired access token by itself", async () => {
    const current = client.tokens.get();
    expect(current).not.toBeNull();
    client.tokens.set({ access: "expired.token.value", refresh: current!.refresh });
    const me = unwrap(await client.api.GET("/api/users/me/", {}));
    expect(me.first_name).toBe("Valentina");
    expect(client.tokens.get()?.access).not.toBe("expired.token.value");
  });

  it("books a treatment with a deposit and pays it in the sandbox", async () => {
    const services = unwrap(
      await client.api.GET("/api/booking/services/", { params: { query: { page_size: 50 } } }),
    );
    const withDeposit = services.items.filter((s) => s.deposit_percent > 0);
    expect(withDeposit.length).toBeGreaterThan(0);
    let booked: { id: string; checkoutUrl: string } | null = null;
    for (const service of withDeposit) {
      const from = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
      const to = new Date(Date.now() + 9 * 86_400_000).toISOString().slice(0, 10);
      const slots = unwrap(
        await client.api.GET("/api/booking/availability/", {
          params: { query: { service: service.code, date_from: from, date_to: to } },
        }),
      );
      if (!slots.slots.length) continue;
      const answer = unwrap(
        await client.api.POST("/api/booking/appointments/", {
          params: { header: idempotencyHeader() },
          body: { service: service.code, start: slots.slots[0].start },
        }),
      );
      expect(answer.appointment.status).toBe("PENDING_PAYMENT");
      booked = { id: answer.appointment.id, checkoutUrl: answer.checkout!.checkout_url };
      break;
    }
    expect(booked).not.toBeNull();
    await payInSandbox(booked!.checkoutUrl);
    const appointment = await until(
      async () =>
        unwrap(
          await client.api.GET("/api/booking/appointments/{appointment_id}/", {
            params: { path: { appointment_id: booked!.id } },
          }),
        ),
      (a) => a.status === "CONFIRMED",
    );
    expect(appointment.status).toBe("CONFIRMED");
  });

  it("orders from the shop once per idempotency key and pays the order", async () => {
    const products = unwrap(
      await client.api.GET("/api/shop/products/", {
        params: { query: { in_stock: true, page_size: 5 } },
      }),
    );
    unwrap(
      await client.api.POST("/api/shop/cart/items/", {
        body: { product_id: products.items[0].id, quantity: 1 },
      }),
    );
    const key = newIdempotencyKey();
    const first = await client.api.POST("/api/shop/checkout/", {
      params: { header: { "Idempotency-Key": key } },
      body: { fulfilment: "pickup" },
    });
    const again = await client.api.POST("/api/shop/checkout/", {
      params: { header: { "Idempotency-Key": key } },
      body: { fulfilment: "pickup" },
    });
    const order = unwrap(first).order;
    expect(unwrap(again).order.id).toBe(order.id);
    expect(again.response.headers.get("Idempotent-Replayed")).toBe("true");
    await payInSandbox(unwrap(first).payment.checkout_url);
    const paid = await until(
      async () =>
        unwrap(
          await client.api.GET("/api/shop/orders/{order_id}/", {
            params: { path: { order_id: order.id } },
          }),
        ),
      (o) => o.status === "PAID",
    );
    expect(paid.status).toBe("PAID");
  });

  it("reports errors in the one typed shape", async () => {
    const result = await client.api.POST("/api/shop/cart/items/", {
      body: { product_id: "8e4a5b77-0000-4000-8000-000000000000", quantity: 99 },
    });
    expect(result.response.status).toBe(422);
    expect(result.error?.error.code).toBe("validation_error");
    expect(() => unwrap(result)).toThrow(ApiRequestError);
  });
});
