// The typed client generated from the API's openapi.json (build.mjs runs openapi-typescript into
// src/api/schema.d.ts); openapi-fetch checks every path, body and answer at compile time.
import createClient from "openapi-fetch";
import type { components, paths } from "./api/schema";
import { lang } from "./i18n";

export type Schemas = components["schemas"];
export type Problem = Schemas["Problem"];
export type FieldError = Schemas["FieldError"];
export type Office = Schemas["OfficeSummary"];
export type Slot = Schemas["Slot"];
export type Booking = Schemas["Booking"];
export type Appointment = Schemas["Appointment"];
export type Hold = Schemas["Hold"];
export type Language = Schemas["BookingRequest"]["language"];

let base = "";
let client = createClient<paths>({ baseUrl: base, fetch: followingHome });

export async function configure(): Promise<void> {
  // config.json names the API: `make run` serves one pointing at the local API; a stage's
  // build writes its own.
  const config = await (await fetch("config.json")).json();
  base = String(config.api || "").replace(/\/$/, "");
  client = createClient<paths>({ baseUrl: base, fetch: followingHome });
}

/** In a multi-region deployment another region's office answers 421 office_in_other_region
 * with the API that serves it (`home_base_url`): send the same request there, once. */
async function followingHome(request: Request): Promise<Response> {
  const again = request.clone();
  const response = await fetch(request);
  if (response.status !== 421) return response;
  let home: unknown;
  try {
    home = (await response.clone().json()).home_base_url;
  } catch {
    return response;
  }
  const root = base || location.origin;
  if (typeof home !== "string" || !/^https?:\/\//.test(home) || !request.url.startsWith(root)) {
    return response;
  }
  return fetch(new Request(home.replace(/\/$/, "") + request.url.slice(root.length), again));
}

export const api = () => client;

export const headers = (extra: Record<string, string> = {}) => ({ "Accept-Language": lang, ...extra });

/** The problem an error answer carries, or one for a network failure. */
export function problemOf(error: unknown, response?: Response): Problem {
  if (error && typeof error === "object" && "code" in error) return error as Problem;
  return { type: "about:blank", title: "", status: response?.status || 503, code: "network_error" } as Problem;
}

export function newKey(): string {
  return crypto.randomUUID();
}
