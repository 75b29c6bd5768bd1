/** A2A messages and parts as both sides of the protocol build and read them (A2A 1.0 shapes of `@a2a-js/sdk`). */
import { randomUUID } from "node:crypto";
import { Role, type Artifact, type Message, type Part } from "@a2a-js/sdk";

/** A text part. */
export const textPart = (text: string): Part => ({
  content: { $case: "text", value: text },
  mediaType: "text/plain",
  filename: "",
  metadata: undefined,
});

/** A structured-data part. */
export const dataPart = (data: unknown): Part => ({
  content: { $case: "data", value: data },
  mediaType: "application/json",
  filename: "",
  metadata: undefined,
});

/** A message of the user (the caller) or of the agent, optionally on an existing task. */
export function a2aMessage(
  role: "user" | "agent",
  parts: Part[],
  ids: { taskId?: string; contextId?: string; metadata?: Record<string, unknown> } = {},
): Message {
  return {
    messageId: randomUUID(),
    contextId: ids.contextId ?? "",
    taskId: ids.taskId ?? "",
    role: role === "user" ? Role.ROLE_USER : Role.ROLE_AGENT,
    parts,
    metadata: ids.metadata,
    extensions: [],
    referenceTaskIds: [],
  };
}

/** The text of the parts, joined by blank lines (data parts as JSON, files by their URL or name). */
export function partsText(parts: readonly Part[] | undefined): string {
  return (parts ?? [])
    .map((part) => {
      const content = part.content;
      if (content?.$case === "text") return content.value;
      if (content?.$case === "data") return JSON.stringify(content.value, null, 2);
      if (content?.$case === "url") return content.value;
      return part.filename;
    })
    .filter((text) => text.trim() !== "")
    .join("\n\n");
}

/** The values of the data parts. */
export const partsData = (parts: readonly Part[] | undefined): unknown[] =>
  (parts ?? []).flatMap((part) => (part.content?.$case === "data" ? [part.content.value] : []));

/** A message's text, or "" when there is none. */
export const messageText = (message: Message | undefined): string => partsText(message?.parts);

/** An artifact of text and data parts. */
export const artifact = (name: string, parts: Part[], description = ""): Artifact => ({
  artifactId: name,
  name,
  description,
  parts,
  metadata: undefined,
  extensions: [],
});
