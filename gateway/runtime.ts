/**
 * Node.js flags the gateway runs with (`npm start`, `npm run start:gateway`, the benchmark).
 *
 * A proxy holds every in-flight request's objects across an upstream round trip, so each
 * young-generation collection copies far more live data than in a service that answers at
 * once. With V8's default semi-space (16 MiB) the gateway scavenged about 230 times in a 15 s
 * benchmark leg, for 0.6–1.4 s of pauses (2.6–6 ms each, worst when its GC helper threads
 * share a core with a service); at 32 MiB about 120 times for 0.2–0.4 s. The price is at most
 * about 48 MiB more young generation.
 */
export const GATEWAY_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=32'];
