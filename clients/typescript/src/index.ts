// Entry point of @studiozens/api-client. The types are generated from docs/openapi.json into
// ./schema.d.ts (`make contract`); never edit that file by hand. ./client.ts is the thin
// typed client (openapi-fetch) with the session, refresh and idempotency helpers.
export type { components, operations, paths } from "./schema";
export {
  ApiRequestError,
  createStudioZensClient,
  idempotencyHeader,
  isApiError,
  memoryTokenStore,
  newIdempotencyKey,
  unwrap,
} from "./client";
export type {
  ApiError,
  ErrorDetail,
  StudioZensClient,
  StudioZensClientOptions,
  TokenPair,
  TokenStore,
} from "./client";

/** Every list response (`?page=&page_size=`). */
export interface Page<T> {
  items: T[];
  count: number;
  page: number;
  page_size: number;
  pages: number;
}
