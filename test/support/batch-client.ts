import type { LightMyRequestResponse } from 'fastify';
import type { TestServer } from './test-container.js';

export type Json = Record<string, unknown>;

export interface BatchItemResponse {
  readonly id: string;
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: unknown;
}

/** Posts a JSON batch and returns the raw response plus the items by id. */
export async function postBatch(
  server: TestServer,
  token: string | null,
  requests: unknown,
  options: { version?: 'v1.0' | 'beta'; headers?: Record<string, string> } = {},
): Promise<{ response: LightMyRequestResponse; items: Map<string, BatchItemResponse>; order: string[] }> {
  const response = await server.app.inject({
    method: 'POST',
    url: `/${options.version ?? 'v1.0'}/$batch`,
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...options.headers,
    },
    payload: JSON.stringify({ requests }),
  });
  const items = new Map<string, BatchItemResponse>();
  const order: string[] = [];
  if (response.statusCode === 200) {
    for (const item of (response.json() as { responses: BatchItemResponse[] }).responses) {
      items.set(item.id, item);
      order.push(item.id);
    }
  }
  return { response, items, order };
}

/** The item, or a failure naming the ids there are. */
export function itemOf(items: Map<string, BatchItemResponse>, id: string): BatchItemResponse {
  const item = items.get(id);
  if (!item) throw new Error(`no response item '${id}' (have ${[...items.keys()].join(', ')})`);
  return item;
}

export function newUserBody(localPart: string, extra: Json = {}): Json {
  return {
    accountEnabled: true,
    displayName: `User ${localPart}`,
    mailNickname: localPart.replace(/[^A-Za-z0-9]/g, ''),
    userPrincipalName: `${localPart}@contoso.com`,
    passwordProfile: { password: 'Correct-Horse-Battery-9' },
    ...extra,
  };
}

export const jsonHeaders = { 'Content-Type': 'application/json' };
