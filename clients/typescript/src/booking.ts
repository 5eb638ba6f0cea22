// Find an office, take its first open time, book it; tell a taken seat from other problems.
import { infopass, type BookingRequest } from "./client";

export async function bookFirstOpenTime(baseUrl: string, zip: string,
                                        applicant: BookingRequest["applicant"]) {
  const api = infopass(baseUrl, "es");
  const near = await api.GET("/v1/offices", { params: { query: { zip, limit: 3 } } });
  if (near.error) throw new Error(near.error.code);
  const office = near.data.offices.find((o) => o.scheduling === "self_service");
  if (!office) return { kind: "request_a_visit" as const };

  const open = await api.GET("/v1/offices/{office_id}/slots",
                             { params: { path: { office_id: office.id } } });
  if (open.error) throw new Error(open.error.code);
  const slot = open.data.slots[0];

  const booked = await api.POST("/v1/appointments", {
    params: { header: { "Idempotency-Key": crypto.randomUUID() } },
    body: {
      slot_id: slot.slot_id,
      applicant,
      reason: { category: "evidence_of_status", details: "I-551 stamp" },
      language: "es",
      contact_method: "email",
    },
  });
  if (booked.error) {
    // The problem's `code` is typed per status: a typo here would not compile.
    if (booked.response.status === 409 && booked.error.code === "slot_unavailable") {
      return { kind: "taken" as const, alternatives: booked.error.alternatives ?? [] };
    }
    return { kind: "problem" as const, code: booked.error.code, title: booked.error.title };
  }
  const confirmation: string = booked.data.confirmation_number;
  const replayed = booked.response.headers.get("Idempotent-Replayed") === "true";
  return { kind: "booked" as const, confirmation, start: booked.data.start, replayed };
}
