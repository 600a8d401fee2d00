// Bundles the SDK and @msgpack/msgpack into one browser ES module for the demo that the game
// listener serves at / (assets/play/tickwave.js). The file is build output: git-ignored.
import { build } from "esbuild";
import { fileURLToPath } from "node:url";

const out = fileURLToPath(new URL("../../../assets/play/tickwave.js", import.meta.url));
await build({
  entryPoints: [fileURLToPath(new URL("../src/index.ts", import.meta.url))],
  outfile: out,
  bundle: true,
  format: "esm",
  platform: "browser",
  target: ["es2020"],
  sourcemap: "linked",
  legalComments: "inline",
  logLevel: "warning",
});
console.log(`bundle: ${out}`);
