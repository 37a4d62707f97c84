// Hand-written entry point of @studiozens/api-types. The types themselves are generated from
// docs/openapi.json into ./schema.d.ts (`make contract`); never edit that file by hand.
export type { components, operations, paths } from "./schema";

/** Every error response: `{"error": {"code", "message", "details"}}` (see docs/api.md). */
export interface ApiError {
  error: {
    code: string;
    message: string;
    details: unknown;
  };
}

/** Every list response (`?page=&page_size=`). */
export interface Page<T> {
  items: T[];
  count: number;
  page: number;
  page_size: number;
  pages: number;
}
