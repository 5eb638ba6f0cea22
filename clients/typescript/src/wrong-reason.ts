// Must NOT compile: a reason code the API does not have. `@ts-expect-error` makes tsc fail if this
// line ever type-checks (tests/clients/test_typescript_client.py also compiles it without the
// directive and checks the error names the code).
import type { BookingRequest } from "./client";

export const wrong: BookingRequest["reason"] = {
  // @ts-expect-error "passport_renewal" is not a reason code
  category: "passport_renewal",
  details: "",
};
