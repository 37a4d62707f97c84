// A thin typed client over openapi-fetch: every call is typed by the generated `paths`;
// this file adds the session (login, tokens, automatic refresh on 401 with one refresh in
// flight at a time), the Idempotency-Key helper and a typed error.
import createClient, { type Client, type Middleware } from "openapi-fetch";

import type { components, paths } from "./schema";

/** Every error response: `{"error": {"code", "message", "details"}}` (docs/api.md). */
export type ApiError = components["schemas"]["ErrorResponse"];
export type ErrorDetail = components["schemas"]["ErrorDetail"];
export type TokenPair = components["schemas"]["TokenPairOut"];

/** Where the client keeps the tokens (memory by default; use localStorage, a cookie
 * bridge or secure storage in your app). */
export interface TokenStore {
  get(): TokenPair | null;
  set(tokens: TokenPair | null): void;
}

export function memoryTokenStore(initial: TokenPair | null = null): TokenStore {
  let tokens = initial;
  return {
    get: () => tokens,
    set: (next) => {
      tokens = next;
    },
  };
}

/** Thrown by the helpers (`login`, `unwrap`, …) for any answer in the error shape. Branch on
 * `code` (stable, English); show `message` (Spanish). */
export class ApiRequestError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;
  readonly body: ApiError;

  constructor(status: number, body: ApiError) {
    super(body.error.message);
    this.name = "ApiRequestError";
    this.status = status;
    this.code = body.error.code;
    this.details = body.error.details;
    this.body = body;
  }
}

export function isApiError(value: unknown): value is ApiError {
  const error = (value as ApiError | undefined)?.error;
  return typeof error?.code === "string" && typeof error?.message === "string";
}

/** A fresh key for one user action (a checkout, a booking): reuse it when retrying that same
 * action, make a new one for the next (docs/api.md "Idempotency keys"). */
export function newIdempotencyKey(): string {
  return globalThis.crypto.randomUUID();
}

/** The header object for an operation that accepts Idempotency-Key. */
export function idempotencyHeader(key: string = newIdempotencyKey()): {
  "Idempotency-Key": string;
} {
  return { "Idempotency-Key": key };
}

export interface StudioZensClientOptions {
  /** The server, e.g. `https://api.studiozens.co` (no trailing slash). */
  baseUrl: string;
  tokens?: TokenStore;
  fetch?: typeof globalThis.fetch;
  /** Called when the refresh token is refused too: the user must log in again. */
  onSessionExpired?: () => void;
}

const REFRESH_PATH = "/api/users/token/refresh/";
// Operations that answer 401 for wrong credentials, not for an expired access token.
const NO_REFRESH = ["/api/users/token/", REFRESH_PATH, "/api/users/verify/"];

export interface StudioZensClient {
  /** The openapi-fetch client: `api.GET("/api/shop/products/", {params: {query: {q}}})`. */
  api: Client<paths>;
  tokens: TokenStore;
  login(phoneNumber: string, password: string): Promise<TokenPair>;
  verifyPhone(phoneNumber: string, code: string): Promise<TokenPair>;
  logout(everywhere?: boolean): Promise<void>;
  /** Rotate the tokens now (one request even when called concurrently). */
  refresh(): Promise<TokenPair>;
}

export function createStudioZensClient(options: StudioZensClientOptions): StudioZensClient {
  const tokens = options.tokens ?? memoryTokenStore();
  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  const api = createClient<paths>({ baseUrl: options.baseUrl, fetch: fetchImpl });
  const retries = new Map<string, Request>();
  let inFlight: Promise<TokenPair> | null = null;

  async function doRefresh(): Promise<TokenPair> {
    const current = tokens.get();
    if (!current) throw new Error("not logged in");
    const response = await fetchImpl(options.baseUrl + REFRESH_PATH, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ refresh: current.refresh }),
    });
    const body: unknown = await response.json().catch(() => null);
    if (!response.ok) {
      tokens.set(null);
      options.onSessionExpired?.();
      throw new ApiRequestError(response.status, body as ApiError);
    }
    const pair = body as TokenPair;
    tokens.set(pair);
    return pair;
  }

  // Single flight: concurrent 401s wait for one refresh (refresh tokens rotate: a second
  // refresh with the old token would be refused and end the session).
  function refresh(): Promise<TokenPair> {
    inFlight ??= doRefresh().finally(() => {
      inFlight = null;
    });
    return inFlight;
  }

  const session: Middleware = {
    onRequest({ request, id }) {
      const access = tokens.get()?.access;
      if (access && !request.headers.has("Authorization")) {
        request.headers.set("Authorization", `Bearer ${access}`);
      }
      if (access) retries.set(id, request.clone());
      return request;
    },
    async onResponse({ request, response, id }) {
      const original = retries.get(id);
      retries.delete(id);
      const path = new URL(request.url).pathname;
      if (response.status !== 401 || !original || NO_REFRESH.includes(path)) {
        return response;
      }
      let pair: TokenPair;
      try {
        pair = await refresh();
      } catch {
        return response;
      }
      const retry = new Request(original, { headers: new Headers(original.headers) });
      retry.headers.set("Authorization", `Bearer ${pair.access}`);
      return fetchImpl(retry);
    },
  };
  api.use(session);

  async function tokenCall(
    path: "/api/users/token/" | "/api/users/verify/",
    body: Record<string, string>,
  ): Promise<TokenPair> {
    const response = await fetchImpl(options.baseUrl + path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    const parsed: unknown = await response.json().catch(() => null);
    if (!response.ok) throw new ApiRequestError(response.status, parsed as ApiError);
    tokens.set(parsed as TokenPair);
    return parsed as TokenPair;
  }

  return {
    api,
    tokens,
    refresh,
    login: (phoneNumber, password) =>
      tokenCall("/api/users/token/", { phone_number: phoneNumber, password }),
    verifyPhone: (phoneNumber, code) =>
      tokenCall("/api/users/verify/", { phone_number: phoneNumber, code }),
    async logout(everywhere = false) {
      const current = tokens.get();
      if (current) {
        await api.POST("/api/users/logout/", {
          body: { refresh: current.refresh, everywhere },
        });
      }
      tokens.set(null);
    },
  };
}

/** The data of an openapi-fetch result, or an ApiRequestError for its error:
 * `const order = unwrap(await api.GET("/api/shop/orders/{order_id}/", …))`. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || result.data === undefined) {
    if (isApiError(result.error)) throw new ApiRequestError(result.response.status, result.error);
    if (result.response.ok) return undefined as T; // 204 No Content
    throw new Error(`HTTP ${result.response.status}`);
  }
  return result.data;
}
