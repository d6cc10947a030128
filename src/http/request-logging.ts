import type { Socket } from 'node:net';
import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';

/**
 * One log line per request instead of Fastify's two ('incoming request' and 'request completed'): the
 * completion line carries what both did (`req` and `res` through the serializers below, the response time),
 * and the request id like every line logged for the request. Errors and other lines keep Fastify's defaults.
 */
export class RequestLogController extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) {
      reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
    } else {
      reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
    }
  }
}

const peerOfSocket = Symbol('sspr.peer');
type SocketWithPeer = Socket & { [peerOfSocket]?: { address: string | undefined; port: number | undefined } };

/**
 * The same `req` and `res` fields as Fastify's serializers, minus the rarely sent `accept-version`, with the
 * peer's address and port read once per connection: each read is a `getpeername` system call, and with
 * keep-alive the connection serves many requests.
 */
export const requestLogSerializers = {
  req(request: FastifyRequest) {
    const socket = request.raw.socket as SocketWithPeer | undefined;
    let peer = socket?.[peerOfSocket];
    if (socket && !peer) {
      peer = { address: socket.remoteAddress, port: socket.remotePort };
      socket[peerOfSocket] = peer;
    }
    return {
      method: request.method,
      url: request.url,
      host: request.host,
      remoteAddress: peer?.address,
      remotePort: peer?.port,
    };
  },
  res(reply: FastifyReply) {
    return { statusCode: reply.statusCode };
  },
};
