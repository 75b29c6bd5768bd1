import { connect } from "node:net";

/** A raw HTTP answer: its status and everything after the headers. */
export interface RawAnswer {
  status: number;
  headers: string;
  body: string;
}

/**
 * Sends `GET path` with exactly the `Host` header given (fetch and node's client would check or rewrite it) over a
 * plain socket to 127.0.0.1:`port`, and reads the answer to its end (HTTP/1.0: no chunked body).
 */
export function rawGet(port: number, path: string, host: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(`GET ${path} HTTP/1.0\r\nHost: ${host}\r\n\r\n`));
    let text = "";
    socket.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
    socket.on("error", reject);
    socket.on("close", () => {
      const [head = "", ...rest] = text.split("\r\n\r\n");
      resolve({
        status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0),
        headers: head,
        body: rest.join("\r\n\r\n"),
      });
    });
  });
}
