// What the person has chosen so far. Kept in memory only: personal data never goes into the URL
// (routes are fragments without data) or into storage.
import type { Appointment, Booking, Hold, Office, Slot } from "./api";

export interface Applicant {
  first_name: string; last_name: string; date_of_birth: string; email: string; phone: string;
  line1: string; line2: string; city: string; state: string; zip: string;
}

export const state: {
  zip: string;
  offices: Office[];
  office?: Office;
  slot?: Slot;
  hold?: Hold;
  details?: { applicant: Applicant; reason: string; reason_details: string; accommodations: string[];
    contact_method: "email" | "mail"; a_number: string; receipt_number: string };
  booking?: Booking;
  idempotencyKey?: string;
  found?: Appointment;
  proof?: { last_name: string; date_of_birth: string };
  notice?: string;
} = { zip: "", offices: [] };

export function go(route: string): void {
  if (location.hash === `#/${route}`) window.dispatchEvent(new HashChangeEvent("hashchange"));
  else location.hash = `#/${route}`;
}
