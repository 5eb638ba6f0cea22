"""Staff identity shared by every context with staff routes (triage, letters, offices): roles,
token verification, the `staff_identity` authorizer and the `staff(*roles)` role check."""
