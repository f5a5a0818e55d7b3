// Swagger UI for /docs, from the package's files; sends the key the chat page keeps, if any.
/* global SwaggerUIBundle */
const key = localStorage.getItem("g4f.apiKey");
SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  requestInterceptor: (request) => {
    if (key) request.headers.Authorization = `Bearer ${key}`;
    return request;
  },
});
