export { ServeError } from './errors.js';
export { serveRun, type RunServer, type ServeOptions } from './server.js';
export { startStaticServer, type Asset, type Resolver, type StaticServer } from './static_server.js';
export { measureBrowserLatency, type BrowserLatencyOptions, type BrowserLatencyResult } from './browser_latency.js';
export { mimeType } from './mime.js';
