// The browser tests' static server is the one `npm run web` uses (scripts/static-server.mjs).
export { startServer, resolveUnder } from "../../scripts/static-server.mjs";
