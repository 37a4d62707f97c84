// Hand-written entry point of @studiozens/api-types. The types themselves are generated from
// docs/openapi.json into ./schema.d.ts (`make contract`); never edit that file by hand.
import type { components } from "./schema";

export type { components, operations, paths } from "./schema";

/** Every error response: `{"error": {"code", "message", "details"}}` (see docs/api.md).
 * Generated from the schema's `ErrorResponse`, so it cannot drift. */
export type ApiError = components["schemas"]["ErrorResponse"];

/** Every list response (`?page=&page_size=`). */
export interface Page<T> {
  items: T[];
  count: number;
  page: number;
  page_size: number;
  pages: number;
}
