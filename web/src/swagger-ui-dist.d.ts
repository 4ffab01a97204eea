// swagger-ui-dist ships no types; the API reference page uses its bundle's default export.
declare module 'swagger-ui-dist/swagger-ui-es-bundle.js' {
  const SwaggerUI: (opts: Record<string, unknown>) => unknown;
  export default SwaggerUI;
}
declare module 'swagger-ui-dist/swagger-ui.css';
