// Joining the waitlist when an office has no open time in the days a person can come.
import { api, headers, problemOf, type Language, type Schemas } from "../api";
import { alert, button, choices, problemAlert, field, formValues, h, page, showProblem, submit } from "../dom";
import { formatDateTime, formatDay, formatTime, lang, t, zoneName } from "../i18n";
import { go, state } from "../state";
import { addressFields, applicantBody, applicantFields, applicantFrom } from "./booking";

let entry: Schemas["WaitlistEntry"] | undefined;
let proof: { last_name: string; date_of_birth: string } | undefined;
const day = (offset: number) => new Date(Date.now() + offset * 86400000).toISOString().slice(0, 10);

export function waitlistPage(): void {
  const office = state.office;
  if (!office) return go("");
  const form = h("form", { class: "usa-form usa-form--large", novalidate: true },
    field({ name: "from", label: t("First day you can come"), type: "date", value: day(1), required: true }),
    field({ name: "to", label: t("Last day you can come"), type: "date", value: day(14), required: true }),
    applicantFields(state.details?.applicant), addressFields(state.details?.applicant),
    choices("contact_method", t("How should we tell you about an open time?"), "radio",
      [{ value: "email", label: t("Email") }, { value: "mail", label: t("Mail (a letter to your address)") }], ["email"]),
    submit(t("Join the waitlist")));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const v = formValues(form);
    const { data, error, response } = await api().POST("/v1/waitlist", { headers: headers(), body: {
      office_id: office.id, from: v.from, to: v.to, applicant: applicantBody(applicantFrom(v)) as never,
      language: lang as Language, contact_method: (v.contact_method || "email") as never } });
    if (!data) return showProblem(form, problemOf(error, response));
    entry = data;
    proof = { last_name: v["applicant.last_name"], date_of_birth: v["applicant.date_of_birth"] };
    go("waitlisted");
  });
  page(t("Join the waitlist at {office}", { office: office.name }), form);
}

export function waitlistedPage(): void {
  const e = entry;
  if (!e) return go("");
  const offer = e.offer;
  // A seat free in the range is offered at once, as a hold until the offer's expiry.
  const accept = offer && proof ? button(t("Book this time"), async () => {
    const { data, error, response } = await api().POST("/v1/waitlist/{waitlist_id}/accept", {
      params: { path: { waitlist_id: e.waitlist_id } }, body: proof!, headers: headers() });
    if (!data) return void document.getElementById("main-content")!.append(problemAlert(problemOf(error, response)));
    state.booking = data.appointment;
    go("confirmation");
  }) : null;
  page(t("You are on the waitlist"),
    alert("success", t("Your waitlist number is {number}", { number: e.waitlist_id }),
      t("When a time opens between {from} and {to}, we keep it for you and tell you.", { from: formatDay(e.from), to: formatDay(e.to) })),
    offer ? [
      h("h2", {}, t("A time is kept for you: {time}", { time: formatDateTime(offer.start, e.timezone) })),
      h("p", {}, t("We are keeping this time for you until {time} ({zone}).", {
        time: formatTime(offer.expires_at, e.timezone), zone: zoneName(e.timezone, offer.expires_at) })),
      accept] : null);
}
