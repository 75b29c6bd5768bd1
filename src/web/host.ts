/** The names a web view answers to: loopback only, so a page of another site cannot reach it by DNS rebinding. */
const LOOPBACK_NAMES = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** Whether a `Host` header names a loopback name with `port` (as Jupyter and Vite check, against DNS rebinding). */
export function isLoopbackHost(host: string | null | undefined, port: number): boolean {
  const match = /^(\[[^\]]*\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(host?.toLowerCase() ?? "");
  if (!match || !LOOPBACK_NAMES.has(match[1]!)) return false;
  return match[2] === undefined ? port === 80 : Number(match[2]) === port;
}

/** Whether a listening address (`127.0.0.1`, `localhost`, `::1`) is one only this machine can reach. */
export const isLoopbackAddress = (address: string): boolean =>
  LOOPBACK_NAMES.has(address.includes(":") ? `[${address}]` : address);

/** The answer to a request naming another host than the service's: 403, naming the host and what is allowed. */
export function foreignHostResponse(host: string | null | undefined, port: number, service = "the web view"): Response {
  return Response.json(
    {
      error:
        `Host ${JSON.stringify(host ?? "")} is not served here: ${service} answers only to localhost:${port}, ` +
        `127.0.0.1:${port} and [::1]:${port}.`,
    },
    { status: 403 },
  );
}
