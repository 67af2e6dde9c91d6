/** awl serve as a library: the HTTP app (for embedding or testing) and the server. */
export { type AppOptions, type AwlApp, createApp } from "./app.js";
export { checkBind, isLoopback, ServeError } from "./auth.js";
export type { AnalyticsQuery, AnalyticsSource, AnalyticsView } from "./routes/analytics.js";
export { type RunningServer, type ServerOptions, startServer } from "./server.js";
