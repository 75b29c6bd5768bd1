import { afterEach } from "vitest";
import { startOpenAIServer, type Handler, type OpenAIServer } from "./openai-server.js";

/** A starter of loopback OpenAI servers for one test file: every server it starts is closed after its test. */
export function loopbackServers(): (handler: Handler) => Promise<OpenAIServer> {
  const started: OpenAIServer[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((server) => server.close()));
  });
  return async (handler) => {
    const server = await startOpenAIServer({ handler });
    started.push(server);
    return server;
  };
}
