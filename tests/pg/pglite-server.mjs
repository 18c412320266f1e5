// The test database: PGlite (PostgreSQL compiled to WebAssembly) with the
// real pgvector, served over the PostgreSQL wire protocol on a loopback port
// so that libpq and psql connect to it. Started by the tests
// (sk-test-pg.c), one per test program.
//
//   node pglite-server.mjs [--port N]     (0, the default: a free port)
//
// Prints "ready PORT" on stdout once it accepts connections. Stops on
// SIGTERM or SIGINT, and when its standard input closes (the test that
// started it is gone).
//
// PGlite is one database session. pglite-socket accepts more than one
// connection only by sharing that session between them (a BEGIN on one is
// seen by all), so the tests keep one client busy at a time; they may
// still overlap by a moment, when a client connects while the server has
// not yet seen the previous one leave, which is why the limit is not 1.
import { PGlite } from "@electric-sql/pglite";
import { auto_explain } from "@electric-sql/pglite/contrib/auto_explain";
import { vector } from "@electric-sql/pglite-pgvector";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: { port: { type: "string", default: "0" } },
});
const port = Number.parseInt(values.port, 10);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`pglite-server: bad port "${values.port}"`);
  process.exit(2);
}

// auto_explain: loaded by a session that asks (LOAD 'auto_explain'), for
// the plans of statements run inside functions (tests/bench/bench-cloud).
const db = await PGlite.create({ extensions: { vector, auto_explain } });
const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port, maxConnections: 4 });
await server.start();

// With port 0 the system picked one: the socket server keeps its
// net.Server as "server" (not part of its documented API), which knows.
const bound = server.server?.address();
if (!bound || typeof bound.port !== "number") {
  console.error("pglite-server: cannot tell which port it listens on");
  process.exit(1);
}

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await server.stop();
  await db.close();
  process.exit(0);
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
process.stdin.on("end", stop);
process.stdin.on("error", stop);
process.stdin.resume();

process.stdout.write(`ready ${bound.port}\n`);
