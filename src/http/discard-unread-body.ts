// A request answered before its body was read (too large, refused by authentication, no such
// route...) still has bytes on the way. Closing the connection with them unread makes the kernel
// reset it, and clients that send the whole body before they read the answer (Python's
// http.client, sometimes Node's fetch) then see a broken pipe instead of the answer, which the
// OpenAI SDKs retry as a connection error. So the rest of the body is read and thrown away, up to
// a bound in bytes and in time; a client that sends more, or takes longer, is cut off.
import type { FastifyInstance } from 'fastify';

/** A client still sending after this long is not waited for. */
const DISCARD_TIMEOUT_MS = 60_000;

export function discardUnreadBodies(app: FastifyInstance, limitBytes: number): void {
  app.addHook('onSend', (request, reply, payload, done) => {
    const raw = request.raw;
    if (raw.complete || raw.readableEnded || raw.destroyed) return done(null, payload);
    // Fastify asks to close the connection after a body it would not read; Node would close it as
    // soon as the answer is written, with the rest of the body unread. Reading it to its end keeps
    // the connection usable instead.
    reply.removeHeader('connection');
    const cut = () => raw.socket?.destroy();
    const timer = setTimeout(cut, DISCARD_TIMEOUT_MS);
    timer.unref();
    let discarded = 0;
    raw.unpipe();
    raw.on('data', (chunk: Buffer) => {
      discarded += chunk.length;
      if (discarded > limitBytes) cut();
    });
    raw.once('close', () => clearTimeout(timer));
    raw.resume();
    done(null, payload);
  });
}
