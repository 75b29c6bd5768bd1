import { AzureChatOpenAI, ChatOpenAI } from "@langchain/openai";
import { afterEach, describe, expect, it, vi } from "vitest";
import { modelSettings } from "../../src/deps.js";
import { ModelNotConfiguredError, ModelPackageMissingError } from "../../src/errors.js";
import { chatModelProvider, parseModelSpec } from "../../src/models.js";
import { parseSettings } from "../../src/settings.js";
import { agentWorker, functionWorker, WorkerRegistry } from "../../src/workers/registry.js";

describe("model settings", () => {
  it("split a known provider's prefix from the model and keep any other name whole, as an OpenAI-compatible model", () => {
    expect(parseModelSpec("anthropic:claude-sonnet-4-5")).toEqual({
      provider: "anthropic",
      model: "claude-sonnet-4-5",
    });
    expect(parseModelSpec("openai:gpt-4o")).toEqual({ provider: "openai", model: "gpt-4o" });
    expect(parseModelSpec("gpt-4o-mini")).toEqual({ model: "gpt-4o-mini" });
    expect(parseModelSpec("llama3:8b")).toEqual({ model: "llama3:8b" });
  });

  it("list the four roles' models and every worker's own, ladder included", () => {
    const registry = new WorkerRegistry([
      agentWorker({ name: "a", description: "d", systemPrompt: "p", model: "anthropic:claude-x" }),
      functionWorker({ name: "f", description: "d", run: async () => "", retryLadder: [{ model: "groq:llama" }, {}] }),
    ]);
    const settings = parseSettings({ plannerModel: "p", workerModel: "w", synthesizerModel: "s", fallbackModel: "f" });
    expect(modelSettings(settings, registry)).toEqual(["p", "w", "s", "f", "anthropic:claude-x", "groq:llama"]);
  });
});

describe("the default model provider", () => {
  it("names the package to install when a provider's package is missing", async () => {
    const provider = chatModelProvider({});
    const prepared = provider.prepare!(["gpt-4o-mini", "anthropic:claude-sonnet-4-5"]);
    await expect(prepared).rejects.toThrow(ModelPackageMissingError);
    await expect(prepared).rejects.toThrow(
      'The model "anthropic:claude-sonnet-4-5" needs the package @langchain/anthropic, which is not installed. Install it with: npm install @langchain/anthropic',
    );
  });

  afterEach(() => vi.unstubAllEnvs());

  it("creates a prepared provider's own chat model with the model, no client retries and the call's time limit", async () => {
    // The provider's package reads its own credentials from its own variables.
    vi.stubEnv("AZURE_OPENAI_API_KEY", "test-key");
    vi.stubEnv("AZURE_OPENAI_API_INSTANCE_NAME", "test");
    vi.stubEnv("AZURE_OPENAI_API_VERSION", "2024-10-21");
    const provider = chatModelProvider({});
    expect(provider.configured).toBe(false);
    await provider.prepare!(["azure_openai:my-deployment"]);
    expect(provider.configured).toBe(true);
    const model = provider.create({
      role: "worker",
      model: "azure_openai:my-deployment",
      temperature: 0.3,
      timeoutMs: 1234,
    }) as AzureChatOpenAI;
    expect(model).toBeInstanceOf(AzureChatOpenAI);
    expect({
      model: model.model,
      temperature: model.temperature,
      maxRetries: (model.caller as unknown as { maxRetries: number }).maxRetries,
      timeout: model.timeout,
    }).toEqual({
      model: "my-deployment",
      temperature: 0.3,
      maxRetries: 0,
      timeout: 1234,
    });
  });

  it("keeps a bare name OpenAI-compatible against OPENAI_BASE_URL, and refuses it when OpenAI is not configured", () => {
    const model = chatModelProvider({ openaiBaseUrl: "http://127.0.0.1:9/v1" }).create({
      role: "planner",
      model: "llama3:8b",
      timeoutMs: 50,
    }) as ChatOpenAI;
    expect(model).toBeInstanceOf(ChatOpenAI);
    expect(model.model).toBe("llama3:8b");
    expect(model.clientConfig.baseURL).toBe("http://127.0.0.1:9/v1");
    expect(() => chatModelProvider({}).create({ role: "planner", model: "gpt-4o", timeoutMs: 50 })).toThrow(
      ModelNotConfiguredError,
    );
  });
});
