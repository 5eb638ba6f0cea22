// Manage: find an appointment with its number, last name and date of birth; reschedule; cancel.
// The confirmation number travels in the API's path and this page's memory, never in a query
// string or in this site's URL.
import { api, headers, problemOf, type Appointment } from "../api";
import { alert, button, field, formValues, h, link, page, problemAlert, readAloud, showProblem, submit } from "../dom";
import { formatDateTime, t } from "../i18n";
import { go, state } from "../state";
import { officeAddress, whatToBring } from "./booking";
import { loadSlots, slotPicker } from "./slots";

export function proofFields(numberLabel: string, numberName: string, hint: string): HTMLElement[] {
  return [
    field({ name: numberName, label: numberLabel, hint, required: true, autocomplete: "off", spellcheck: false }),
    field({ name: "last_name", label: t("Last name"), required: true, autocomplete: "family-name" }),
    field({ name: "date_of_birth", label: t("Date of birth"), type: "date", required: true, autocomplete: "bday" }),
  ];
}

export function managePage(): void {
  const form = h("form", { class: "usa-form", novalidate: true },
    proofFields(t("Confirmation number"), "confirmation_number", t("12 letters and numbers, for example K7Q2-9XHM-4DCA")),
    submit(t("Find my appointment")));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const v = formValues(form);
    const number = v.confirmation_number.replace(/[\s-]/g, "");
    if (!number) {
      return showProblem(form, { type: "about:blank", title: t("There is a problem"), status: 422, code: "validation_failed",
        errors: [{ field: "confirmation_number", code: "missing", message: t("Enter your confirmation number.") }] });
    }
    const proof = { last_name: v.last_name, date_of_birth: v.date_of_birth };
    const { data, error, response } = await api().POST("/v1/appointments/{confirmation_number}/lookup", {
      params: { path: { confirmation_number: number } }, body: proof, headers: headers() });
    if (!data) return showProblem(form, problemOf(error, response));
    state.found = data; state.proof = proof; state.notice = undefined;
    go("appointment");
  });
  page(t("Manage an appointment"), form);
}

export function appointmentPage(): void {
  const a = state.found;
  if (!a) return go("manage");
  const booked = a.status === "booked";
  page(t("Your appointment"),
    state.notice ? alert("success", state.notice) : null,
    h("dl", { class: "review" },
      h("dt", {}, t("Confirmation number")), h("dd", {}, a.confirmation_number, h("br"), h("span", { class: "read-aloud" }, readAloud(a.confirmation_number))),
      h("dt", {}, t("Status")), h("dd", {}, a.status_label || a.status),
      h("dt", {}, t("Time")), h("dd", {}, formatDateTime(a.start, a.timezone)),
      h("dt", {}, t("Office")), h("dd", {}, officeAddress(a.office))),
    h("h2", {}, t("What to bring")), whatToBring(a.what_to_bring),
    booked && !a.changes_closed ? button(t("Reschedule"), () => go("reschedule")) : null,
    booked ? button(t("Cancel appointment"), () => go("cancel"), "usa-button--secondary") : null,
    booked && a.changes_closed ? h("p", {}, t("Online changes are closed for this appointment."), " ", t("Questions? Call the USCIS Contact Center at {phone}.", { phone: a.contact_center_phone })) : null);
}

export async function reschedulePage(): Promise<void> {
  const a = state.found, proof = state.proof;
  if (!a || !proof) return go("manage");
  const title = t("Choose a new time");
  page(title, h("p", {}, t("Loading…")));
  const slots = await loadSlots(a.office);
  if (typeof slots === "string") return void page(title, alert("error", slots));
  const others = slots.filter((s) => s.slot_id !== a.slot_id);
  page(title, h("p", {}, t("Your appointment now: {time}", { time: formatDateTime(a.start, a.timezone) })),
    others.length ? slotPicker(a.office, others, t("Move my appointment to this time"), async (slot) => {
      settle(await api().POST("/v1/appointments/{confirmation_number}/reschedule", {
        params: { path: { confirmation_number: a.confirmation_number } }, body: { ...proof, slot_id: slot.slot_id }, headers: headers() }),
      document.getElementById("times")!, t("Your appointment was moved."));
    }) : alert("info", t("No times are open in the next two weeks")));
}

/** After a reschedule or a cancellation: the appointment as it is now, or the problem shown
 *  where the person is. */
function settle(result: { data?: Appointment; error?: unknown; response: Response }, where: HTMLElement, notice: string): void {
  if (!result.data) {
    where.prepend(problemAlert(problemOf(result.error, result.response)));
    return;
  }
  state.found = result.data;
  state.notice = notice;
  go("appointment");
}

export function cancelPage(): void {
  const a = state.found, proof = state.proof;
  if (!a || !proof) return go("manage");
  page(t("Cancel your appointment?"),
    h("p", {}, formatDateTime(a.start, a.timezone), " — ", a.office.name),
    h("p", {}, t("Your time will be given to someone else. You can book again later.")),
    button(t("Yes, cancel my appointment"), async () => {
      settle(await api().POST("/v1/appointments/{confirmation_number}/cancel", {
        params: { path: { confirmation_number: a.confirmation_number } }, body: proof, headers: headers() }),
      document.getElementById("main-content")!, t("Your appointment is cancelled."));
    }, "usa-button--secondary"),
    link(t("No, keep my appointment"), "#/appointment"));
}
