// FieldError: one problem with a Schedule's spec, named by its field path (spec.preset.at) with the fix.
// Validation (src/schedule/validate.ts), the friendly forms (src/schedule/forms.ts), the webhook and the
// CLI all speak it, so it lives below them.

export interface FieldError {
  field: string;
  message: string;
}
