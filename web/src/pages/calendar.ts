// The appointment as an .ics file, made in the page from the booking answer (the API sends the
// same file attached to the confirmation email but has no route for it).
import type { Booking } from "../api";
import { h } from "../dom";
import { t } from "../i18n";

const stamp = (iso: string) => new Date(iso).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
const escape = (text: string) => text.replace(/[\\;,]/g, (c) => `\\${c}`).replace(/\n/g, "\\n");

export function calendarLink(b: Booking): HTMLAnchorElement {
  const a = b.office.address;
  const where = [b.office.name, a.line1, a.line2, `${a.city}, ${a.state} ${a.zip}`].filter(Boolean).join(", ");
  const ics = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//InfoPass//web//EN", "BEGIN:VEVENT",
    `UID:${b.confirmation_number}@infopass`, `DTSTAMP:${stamp(new Date().toISOString())}`,
    `DTSTART:${stamp(b.start)}`, `DTEND:${stamp(b.end)}`,
    `SUMMARY:${escape(t("USCIS appointment"))}`, `LOCATION:${escape(where)}`,
    `DESCRIPTION:${escape(t("Your confirmation number is {number}", { number: b.confirmation_number }))}`,
    "END:VEVENT", "END:VCALENDAR", ""].join("\r\n");
  return h("a", { class: "usa-button usa-button--outline", download: "uscis-appointment.ics",
    href: `data:text/calendar;charset=utf-8,${encodeURIComponent(ics)}` }, t("Add to your calendar (.ics)"));
}
