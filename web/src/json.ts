// JSON values and JSON Schema objects as the editor handles them: not API
// shapes (those come from the OpenAPI document, see types.ts), so written
// by hand.

export type JSONValue = null | boolean | number | string | JSONValue[] | { [key: string]: JSONValue };
export type JSONObject = { [key: string]: JSONValue };
// JSON Schema objects are passed through to rjsf untouched.
export type JSONSchema = { [key: string]: unknown };
