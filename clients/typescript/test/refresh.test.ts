// The session logic without a server: a fake fetch that expires the first access token.
import { describe, expect, it } from "vitest";

import { ApiRequestError, createStudioZensClient, memoryTokenStore, unwrap } from "../src/index";

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

describe("refresh on 401", () => {
  it("refreshes once for concurrent 401s and retries each request", async () => {
    let refreshes = 0;
    const fakeFetch = async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = new Request(input, init);
      const path = new URL(request.url).pathname;
      if (path === "/api/users/token/refresh/") {
        refreshes += 1;
        await new Promise((resolve) => setTimeout(resolve, 20));
        return json(200, { access: "new-access", refresh: "new-refresh" });
      }
      if (request.headers.get("Authorization") !== "Bearer new-access") {
        return json(401, {
          error: { code: "not_authenticated", message: "Token vencido.", details: null },
        });
      }
      return json(200, { items: [], count: 0, page: 1, page_size: 20, pages: 1 });
    };
    const client = createStudioZensClient({
      baseUrl: "http://api.test",
      fetch: fakeFetch as typeof fetch,
      tokens: memoryTokenStore({ access: "old-access", refresh: "old-refresh" }),
    });
    const results = await Promise.all(
      [1, 2, 3].map(() => client.api.GET("/api/shop/orders/", {})),
    );
    expect(results.map((r) => r.response.status)).toEqual([200, 200, 200]);
    expect(refreshes).toBe(1);
    expect(client.tokens.get()).toEqual({ access: "new-access", refresh: "new-refresh" });
  });

  it("ends the session when the refresh token is refused", async () => {
    let expired = false;
    const fakeFetch = async () =>
      json(401, { error: { code: "token_invalid", message: "Sesión vencida.", details: null } });
    const client = createStudioZensClient({
      baseUrl: "http://api.test",
      fetch: fakeFetch as typeof fetch,
      tokens: memoryTokenStore({ access: "a", refresh: "r" }),
      onSessionExpired: () => {
        expired = true;
      },
    });
    const result = await client.api.GET("/api/users/me/", {});
    expect(result.response.status).toBe(401);
    expect(expired).toBe(true);
    expect(client.tokens.get()).toBeNull();
    expect(() => unwrap(result)).toThrow(ApiRequestError);
  });
});
